"""Wire formats shared by collectors, transports and evaluation: pure encoders/decoders (RFC 4515
filter escaping, PowerShell literals, Windows PowerShell 5.1 JSON). No I/O, no checker imports
but errors."""
