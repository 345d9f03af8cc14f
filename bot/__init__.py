"""The WeCom group bot: callbacks, the command engine and outbound pushes (issue #5)."""
