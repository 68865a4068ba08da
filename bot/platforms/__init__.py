"""Chat platform adapters. Each SDK is imported in its own module only."""
