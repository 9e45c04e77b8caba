"""Reports on events (the headcount report arrives here with check-in)."""
