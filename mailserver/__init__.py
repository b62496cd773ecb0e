"""The mail store and the protocols on it: storage, delivery, policy, logins, SMTP, IMAP."""
