"""flexdiag: NAT and connectivity diagnostic for phones on the Flex hosted VoIP platform."""

__version__ = "0.1.0"
