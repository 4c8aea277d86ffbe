"""`python -m api [--host HOST] [--port PORT] [--workers N]`: serve the API (see api.server)."""

from api.server import main

if __name__ == "__main__":
    main()
