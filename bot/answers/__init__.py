"""The answer engine: knowledge base, matching, confidence and replies; no Telegram here."""

import os

# One question is one small matrix-vector product: OpenBLAS's worker threads only add
# wake-up latency (5 ms a question instead of 0.7 ms on a shared two-core machine).
# Set before numpy is first imported; an explicit setting by the operator wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
