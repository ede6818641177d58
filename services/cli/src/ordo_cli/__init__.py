"""The ordo command: run the stack, simulate channels, inspect orders, benchmark."""
