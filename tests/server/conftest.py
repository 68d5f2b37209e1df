"""The server tier uses the session-wide real tritonserver fixtures of tests/conftest.py."""
