"""Serving layer: the JSON API, the chat page, the API docs and the Slack command, over one Engine."""
