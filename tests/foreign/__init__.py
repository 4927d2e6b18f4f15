"""Implementations written as other people write them, wrapped by short adapters: the kit must
fit them without false alarms and catch the defects put in them on purpose."""
