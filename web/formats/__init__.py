"""Date formats of the workspace's languages that differ from Django's (settings.FORMAT_MODULE_PATH)."""
