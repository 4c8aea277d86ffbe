"""`python -m api [--host HOST] [--port PORT]`: serve the API with uvicorn."""

import argparse

import uvicorn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api", description="Serve the Invoice Automation API.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    arguments = parser.parse_args(argv)
    uvicorn.run("api.main:app", host=arguments.host, port=arguments.port)


if __name__ == "__main__":
    main()
