"""The guard for untrusted files, shared by verification and appeals.

``images`` sniffs, bounds and rebuilds photos; ``pdf`` parses evidence PDFs
with a real parser in a child process and stores a normalised copy;
``uploads`` caps what a request may spool to disk; ``storage`` writes the
private files and sweeps away any that no row owns.
"""
