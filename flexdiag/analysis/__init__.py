"""Pure classification: observations in, verdicts out. No sockets, no clocks, no wording."""
