"""`make bench` (python -m bench): speed numbers, printed, not asserted. A tool beside the app, like tests/:
it drives the app's own layers (chokepoint/, chokepoint/ui/) and the browser harness in tests/e2e/, and
nothing in chokepoint/ imports it. floor_app*.py are the stock-Streamlit baselines it compares against."""
