"""Trained models. Their results are evidence from samples, never certificates.
"""

__all__ = []
