"""Browser test: the development dashboard in headless Chromium."""
