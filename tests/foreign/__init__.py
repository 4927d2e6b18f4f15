"""Foreign implementations: code that is not the reference, run through the suite as a user's would be."""
