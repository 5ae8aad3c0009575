"""The NAT lab (see :mod:`tests.lab.topology`): ``python -m tests.lab up MODE`` / ``down``."""
