"""Round reports (HTML, PDF, XLSX), report subscriptions and their mail deliveries (an outbox)."""
