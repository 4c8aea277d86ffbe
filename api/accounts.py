"""`python -m api.accounts`: users and API keys from the command line (the first admin comes from here).

    python -m api.accounts create-user alice --role admin      # asks for the password twice
    python -m api.accounts create-key uipath-01                # prints the key once
    python -m api.accounts revoke-key uipath-01

Passwords are read from the terminal, or from standard input with --password-stdin (scripts);
never from the command line, where they would stay in the shell history and the process list.
"""

import argparse
import getpass
import sys
from collections.abc import Callable

from connectors.store import ProcessStore, StoreError
from connectors.store.tables import ROLES
from settings import get_settings

CLI_ACTOR = "cli"


def main(argv: list[str] | None = None, *, read_password: Callable[[str], str] = getpass.getpass) -> int:
    args = _parser().parse_args(argv)
    store = ProcessStore.from_url(args.url or get_settings().process_db_url)
    try:
        return _run(args, store, read_password)
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _run(args: argparse.Namespace, store: ProcessStore, read_password: Callable[[str], str]) -> int:
    accounts = store.accounts
    if args.command == "create-user":
        password = _new_password(args, read_password)
        user = accounts.create_user(args.username, password, args.role, vendor_id=args.vendor_id)
        speaks_for = f" for vendor {user.vendor_id}" if user.vendor_id else ""
        print(f"Created {user.role} {user.username}{speaks_for}.")
    elif args.command == "set-password":
        accounts.set_password(args.username, _new_password(args, read_password))
        print(f"Password of {args.username} changed; their sessions have ended.")
    elif args.command == "deactivate-user":
        accounts.deactivate_user(args.username)
        print(f"{args.username} can no longer sign in; their sessions have ended.")
    elif args.command == "list-users":
        for user in accounts.list_users():
            state = "active" if user.is_active else "deactivated"
            print(f"{user.username:<24} {user.role:<6} {state:<11} {user.vendor_id or ''}".rstrip())
    elif args.command == "create-key":
        issued = accounts.create_api_key(args.name, created_by=CLI_ACTOR)
        print(f"API key for {issued.key.name} (shown once; keep it in the bot's credential vault):", file=sys.stderr)
        print(issued.secret)
    elif args.command == "revoke-key":
        key = accounts.revoke_api_key(args.name)
        print(f"Revoked the API key of {key.name}.")
    elif args.command == "list-keys":
        for key in accounts.list_api_keys():
            state = "active" if key.revoked_at is None else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}"
            print(f"{key.name:<24} iak_{key.prefix}_…  {state}")
    return 0


def _new_password(args: argparse.Namespace, read_password: Callable[[str], str]) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = read_password("New password: ")
    if read_password("Repeat it: ") != password:
        raise _PasswordMismatchError()
    return password


class _PasswordMismatchError(StoreError):
    def __init__(self) -> None:
        super().__init__("The two passwords differ; nothing was changed.")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m api.accounts", description="Manage AP users and the bots' API keys."
    )
    parser.add_argument("--url", help="process database URL (default: PROCESS_DB_URL from the environment or .env)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("create-user", "create a user"), ("set-password", "set a user's password")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("username")
        command.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        if name == "create-user":
            command.add_argument("--role", choices=ROLES, required=True)
            command.add_argument("--vendor-id", help="the vendor a vendor user speaks for (role vendor only)")
    commands.add_parser("deactivate-user", help="stop a user from signing in").add_argument("username")
    commands.add_parser("list-users", help="list users")
    commands.add_parser("create-key", help="create a bot's API key and print it once").add_argument("name")
    commands.add_parser("revoke-key", help="revoke a bot's API key").add_argument("name")
    commands.add_parser("list-keys", help="list API keys (never their secrets)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
