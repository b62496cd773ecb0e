"""IMAP server for mssante."""
