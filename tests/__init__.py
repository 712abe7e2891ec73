"""Tests for the Simkl integration."""
