"""What the command line, the app and scripts share: whole tasks built from the layers below."""
