"""A mutation run: plant one-line bugs in a copy of the repository, one at a time, and
check that the tests named for each one fail. Not part of the normal test run.

    python tests/mutants.py             every mutant
    python tests/mutants.py -k margin   those whose name contains "margin" (-k again: or)
    python tests/mutants.py --list      names and where each snippet is found

For each mutant it prints ``killed`` (its tests failed) or ``SURVIVED`` (they passed),
then a summary; it exits 1 when any mutant survived or could not be applied, 2 when the
named tests fail without any mutant (then the run proves nothing).

Adding a mutant: append a ``Mutant`` to ``MUTANTS`` below with
  - ``name``: short, unique, says what the bug is;
  - ``snippet``: an exact piece of the source under ``cognito_credproc/`` that occurs
    exactly once in the whole package (copy it from the code; add a neighbouring line
    when one line is not unique). The script finds the file itself, so mutants survive
    code moving between modules; a snippet that is gone or ambiguous is reported;
  - ``replacement``: what the snippet becomes (one line's worth of change);
  - ``tests``: the pytest node ids or paths (relative to the repository root) that must
    catch it, as few as do the job: only those run, so the run stays fast.
Then run ``python tests/mutants.py -k NAME``: it must say killed. A mutant that survives
is a gap in the tests, not in the list.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "cognito_credproc"
TEST_TIMEOUT_SECONDS = 900  # per mutant, all its tests; a hang counts as killed


@dataclass(frozen=True)
class Mutant:
    name: str
    snippet: str
    replacement: str
    tests: tuple[str, ...]


MUTANTS: list[Mutant] = [
    # -- the cache and the refresh margin ------------------------------------------------
    Mutant(
        "store-margin-inclusive",
        "found[0] if found is not None and found[1] > wanted else None",
        "found[0] if found is not None and found[1] >= wanted else None",
        (
            "tests/test_boundaries.py::test_the_margin_to_the_second_in_the_store",
            "tests/test_provider.py::test_what_happens_later",
        ),
    ),
    Mutant(
        "fast-path-margin-inclusive",
        "if found is not None and found[1] > profile.refresh_margin:",
        "if found is not None and found[1] >= profile.refresh_margin:",
        ("tests/test_boundaries.py::test_the_margin_to_the_second_on_the_fast_path",),
    ),
    Mutant(
        "cache-written-in-place",
        "        fd = self.open(temp, _TEMP_FLAGS, 0o600)",
        "        temp = name; fd = self.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)",
        ("tests/test_cache.py::test_an_entry_is_never_written_in_place_only_renamed_onto",),
    ),
    Mutant(
        "cache-temp-file-copied-not-renamed",
        "            self.replace(temp, name)",
        '            __import__("shutil").copyfile(self.join(temp), self.join(name)); '
        "self.unlink(temp)",
        ("tests/test_cache.py::test_an_entry_is_never_written_in_place_only_renamed_onto",),
    ),
    Mutant(
        "cache-entry-missing-fields-accepted",
        'check_field(data.get(k), k) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")',
        'data.get(k) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")',
        (
            "tests/test_boundaries.py::"
            "test_an_entry_with_a_valid_expiration_but_a_missing_field_is_a_miss",
        ),
    ),
    # -- sign-in -------------------------------------------------------------------------
    Mutant(
        "device-srp-without-a-device",
        "if state.device is None or not state.device.has_device:",
        "if False:",
        ("tests/test_challenges.py::test_device_srp_auth_without_a_remembered_device_is_refused",),
    ),
    Mutant(
        "srp-math-with-the-configured-username",
        'user_id = params.get("USER_ID_FOR_SRP") or state.username',
        "user_id = state.username",
        ("tests/test_srp_names.py::test_user_id_for_srp_is_the_sub_as_moto_sends_it",),
    ),
    Mutant(
        "srp-answer-names-user-id-for-srp",
        'answer_name = params.get("USERNAME") or user_id',
        "answer_name = user_id",
        ("tests/test_srp_names.py::test_user_id_for_srp_is_the_sub_as_moto_sends_it",),
    ),
    # -- refresh and revocation ----------------------------------------------------------
    Mutant(
        "refresh-without-secret-hash",
        "api.with_secret_hash(params, username)",
        "pass",
        ("tests/test_pools.py::test_client_secret_on_sign_in_and_refresh",),
    ),
    Mutant(
        "refresh-secret-hash-with-the-configured-name",
        'username = tokens.internal_username or api.profile.username or ""',
        'username = api.profile.username or ""',
        ("tests/test_pools.py::test_client_secret_on_sign_in_and_refresh",),
    ),
    Mutant(
        "refresh-without-device-key",
        'params["DEVICE_KEY"] = tokens.device_key',
        "pass",
        ("tests/test_pools.py::test_a_remembered_device_refreshes_and_proves_itself",),
    ),
    Mutant(
        "get-tokens-without-client-secret",
        'params["ClientSecret"] = api.profile.app_client_secret\n    if tokens.device_key:',
        "pass\n    if tokens.device_key:",
        ("tests/test_pools.py::test_rotating_client_with_a_secret_refreshes_and_revokes",),
    ),
    Mutant(
        "get-tokens-without-device-key",
        'params["DeviceKey"] = tokens.device_key',
        "pass",
        ("tests/test_pools.py::test_a_remembered_device_refreshes_and_proves_itself",),
    ),
    Mutant(
        "revoke-without-client-secret",
        'params["ClientSecret"] = api.profile.app_client_secret\n    api.call("revoke_token"',
        'pass\n    api.call("revoke_token"',
        ("tests/test_login.py::test_logout_revokes_the_refresh_token",),
    ),
    Mutant(
        "rotated-refresh-token-saved-after-the-lock",
        "self.store.save_tokens(refreshed)\n                return refreshed, False",
        "return refreshed, False",
        (
            "tests/test_challenges.py::"
            "test_rotated_refresh_token_is_on_disk_before_the_lock_is_released",
        ),
    ),
    # -- the identity pool and STS -------------------------------------------------------
    Mutant(
        "get-credentials-without-logins",
        "params = self._params(id_token, IdentityId=identity_id)\n"
        "        if self.profile.role_arn:",
        'params = {"IdentityId": identity_id}\n        if self.profile.role_arn:',
        ("tests/test_integration.py::test_first_run_signs_in_and_prints_only_the_json",),
    ),
    Mutant(
        "open-id-token-without-logins",
        "params = self._params(id_token, IdentityId=identity_id)\n        response = call(",
        'params = {"IdentityId": identity_id}\n        response = call(',
        ("tests/test_flows.py::test_basic_flow_gives_twelve_hour_credentials",),
    ),
    Mutant(
        "basic-flow-sends-the-id-token-to-sts",
        "WebIdentityToken=token,",
        "WebIdentityToken=id_token or token,",
        ("tests/test_flows.py::test_basic_flow_gives_twelve_hour_credentials",),
    ),
    Mutant(
        "cached-identity-id-never-asked-again",
        'if exc.code == "ResourceNotFoundException" and identity_cached:',
        "if False:",
        ("tests/test_integration.py::test_an_identity_id_the_pool_no_longer_knows_is_replaced",),
    ),
    # -- choice-based sign-in (USER_AUTH) ------------------------------------------------
    Mutant(
        "user-auth-sends-a-code-nobody-can-type",
        "if preferred in CODE_FACTORS and not api.interaction.interactive:",
        "if False:",
        ("tests/test_userauth.py::test_no_terminal_fails_at_once_without_sending_a_code",),
    ),
    Mutant(
        "user-auth-preferred-challenge-not-sent",
        'params["PREFERRED_CHALLENGE"] = preferred',
        "pass",
        ("tests/test_userauth_units.py::test_preferred_password_is_sent_with_initiate_auth",),
    ),
    Mutant(
        "user-auth-code-typed-with-echo",
        "challenges.code_challenge(api, name, field, label, session, state, secret=True)",
        "challenges.code_challenge(api, name, field, label, session, state, secret=False)",
        (
            "tests/test_userauth_units.py::"
            "test_a_code_that_signs_in_is_hidden_and_redacted_an_mfa_code_is_not",
        ),
    ),
    Mutant(
        "user-auth-choice-asked-without-a-terminal",
        "if preferred is None and not api.interaction.interactive and",
        "if False and",
        (
            "tests/test_userauth_units.py::test_without_a_terminal_nothing_is_sent",
            "tests/test_userauth.py::test_no_preference_no_password_source_no_terminal",
        ),
    ),
    Mutant(
        "user-auth-password-before-srp",
        'PASSWORD_FACTORS = ("PASSWORD_SRP", "PASSWORD")',
        'PASSWORD_FACTORS = ("PASSWORD", "PASSWORD_SRP")',
        (
            "tests/test_userauth_units.py::test_choice_without_asking",
            "tests/test_userauth.py::test_no_preference_with_a_password_command_answers_srp",
        ),
    ),
    Mutant(
        "user-auth-password-source-ignored",
        "if password is not None and has_password_source(api):",
        "if False:",
        ("tests/test_userauth_units.py::test_choice_without_asking",),
    ),
    Mutant(
        "user-auth-preference-ignored-in-the-choice",
        "    if preferred in available:\n        return preferred",
        "    if False:\n        return preferred",
        ("tests/test_userauth_units.py::test_choice_without_asking",),
    ),
    Mutant(
        "user-auth-passkey-offered-on-a-terminal",
        "answerable = [f for f in CODE_FACTORS if f in available]",
        'answerable = [f for f in (*CODE_FACTORS, "WEB_AUTHN") if f in available]',
        ("tests/test_userauth_units.py::test_a_passkey_alone_sends_people_to_managed_login",),
    ),
    Mutant(
        "user-auth-available-challenges-not-read",
        'state.available = [str(c) for c in response.get("AvailableChallenges") or []]',
        "state.available = []",
        ("tests/test_userauth_units.py::test_password_source_answers_select_challenge_with_srp",),
    ),
    Mutant(
        "user-auth-code-not-redacted",
        "api.register_secret(code)",
        "pass",
        (
            "tests/test_userauth_units.py::"
            "test_a_code_that_signs_in_is_hidden_and_redacted_an_mfa_code_is_not",
        ),
    ),
    Mutant(
        "user-auth-device-key-not-sent",
        "if device is not None and device.device_key:",
        'if device is not None and device.device_key and flow != "USER_AUTH":',
        ("tests/test_userauth.py::test_a_remembered_device_after_a_code_sign_in",),
    ),
    Mutant(
        "login-without-a-terminal-asks-a-code-preference-for-a-password",
        'elif terminal is None and profile.auth_flow == "USER_AUTH" and _code_first(profile):',
        "elif False:",
        ("tests/test_userauth.py::test_login_without_a_terminal_names_the_code_not_the_password",),
    ),
    Mutant(
        "code-prompt-sends-an-empty-line",
        "if code or (totp and api.profile.totp_command):",
        "if True:",
        ("tests/test_userauth.py::test_an_empty_entry_asks_again_and_sends_nothing",),
    ),
    Mutant(
        "code-prompt-two-tries",
        "tries = 3 if self.interaction.interactive else 1",
        "tries = 2 if self.interaction.interactive else 1",
        ("tests/test_userauth.py::test_two_wrong_codes_then_the_right_one",),
    ),
    Mutant(
        "user-auth-mfa-email-code-taken-for-a-first-factor",
        'if api.profile.auth_flow != "USER_AUTH" or state.first_factor in PASSWORD_FACTORS:',
        "if False:",
        (
            "tests/test_userauth_units.py::"
            "test_a_code_that_signs_in_is_hidden_and_redacted_an_mfa_code_is_not",
        ),
    ),
    Mutant(
        "user-auth-email-code-after-another-preference-taken-for-mfa",
        'if api.profile.auth_flow != "USER_AUTH" or state.first_factor in PASSWORD_FACTORS:',
        'if state.first_factor != "EMAIL_OTP":',
        (
            "tests/test_userauth_units.py::"
            "test_an_email_code_no_password_came_before_is_a_first_factor",
        ),
    ),
    Mutant(
        "email-mfa-of-the-other-flows-taken-for-a-first-factor",
        'if api.profile.auth_flow != "USER_AUTH" or state.first_factor in PASSWORD_FACTORS:',
        "if state.first_factor in PASSWORD_FACTORS:",
        ("tests/test_challenges.py::test_email_otp_prompt_names_where_the_code_went",),
    ),
    Mutant(
        "user-auth-wrong-codes-unexplained",
        'if exc.code == "CodeMismatchException":',
        "if False:",
        (
            "tests/test_userauth_units.py::test_three_wrong_codes_say_so_with_the_fix",
            "tests/test_userauth.py::test_three_wrong_codes",
        ),
    ),
    Mutant(
        "user-auth-expired-code-session-not-restarted",
        '"the sign-in session or its code expired before the answer arrived",',
        '"the sign-in or its code ran out before the answer arrived",',
        (
            "tests/test_userauth_units.py::"
            "test_expired_code_session_restarts_at_a_terminal_and_is_explained_otherwise",
        ),
    ),
    Mutant(
        "user-auth-destination-unfiltered",
        'return clip("".join(ch for ch in text if ch.isprintable()), limit)',
        "return text",
        (
            "tests/test_userauth_units.py::test_what_the_service_sends_is_filtered_before_the_terminal",
        ),
    ),
    Mutant(
        "user-auth-choices-unfiltered",
        "if c.isidentifier() and c.isupper() and len(c) < 40]",
        "]",
        (
            "tests/test_userauth_units.py::test_what_the_service_sends_is_filtered_before_the_terminal",
        ),
    ),
    Mutant(
        "user-auth-preferred-challenge-without-user-auth",
        'if key == "preferred_challenge" and flow != "USER_AUTH":',
        "if False:",
        ("tests/test_userauth_units.py::test_preferred_challenge_settings",),
    ),
    Mutant(
        "user-auth-client-flow-hint-lost",
        'if code == "InvalidParameterException" and "USER_AUTH flow not enabled" in message:',
        "if False:",
        ("tests/test_userauth.py::test_client_without_allow_user_auth",),
    ),
    Mutant(
        "feature-plan-hint-lost",
        'if code == "FeatureUnavailableInTierException":',
        "if False:",
        ("tests/test_userauth.py::test_plan_without_user_auth",),
    ),
    # -- the credentials endpoint (exec --server, serve) ---------------------------------
    Mutant(
        "endpoint-host-not-checked",
        "if not self.host_allowed(request.hosts_named()):",
        "if False:",
        ("tests/test_endpoint.py::test_a_foreign_host_header_is_refused_even_with_the_token",),
    ),
    Mutant(
        "endpoint-token-not-checked",
        'if not self.token_matches(request.headers.get_all("Authorization")):',
        "if False:",
        ("tests/test_endpoint.py::test_a_missing_or_wrong_token_is_refused",),
    ),
    Mutant(
        "endpoint-token-prefix-accepted",
        "return hmac.compare_digest(offered, self._token_bytes)",
        "return bool(offered) and self._token_bytes.startswith(offered)",
        ("tests/test_endpoint.py::test_a_missing_or_wrong_token_is_refused",),
    ),
    Mutant(
        "endpoint-any-method",
        'if request.method != "GET":',
        "if False:",
        ("tests/test_endpoint.py::test_only_get_is_answered",),
    ),
    Mutant(
        "endpoint-second-host-header-ignored",
        "len(values) == 1 and values[0].lower() in self._hosts",
        "values[0].lower() in self._hosts",
        ("tests/test_endpoint.py::test_two_host_headers_are_refused",),
    ),
    Mutant(
        "endpoint-serves-keys-expiring-now",
        "if creds.expiration <= self.now():",
        "if creds.expiration < self.now():",
        ("tests/test_endpoint.py::test_credentials_expiring_this_very_second_are_not_served",),
    ),
    Mutant(
        "endpoint-serves-expired-keys",
        "if creds.expiration <= self.now():",
        "if False:",
        ("tests/test_endpoint.py::test_expired_credentials_are_never_served",),
    ),
    Mutant(
        "endpoint-reports-every-failed-request",
        "if not self._failing:",
        "if True:",
        ("tests/test_endpoint.py::test_a_failed_renewal_is_a_503_reported_once_per_outage",),
    ),
    Mutant(
        "endpoint-waiters-fetch-again",
        "if self._rounds == arrived_in or self._outcome is None:",
        "if True:",
        ("tests/test_endpoint.py::test_requests_that_wait_on_a_fetch_share_its_outcome",),
    ),
    Mutant(
        "endpoint-on-every-interface",
        'LOOPBACK = "127.0.0.1"',
        'LOOPBACK = "0.0.0.0"',
        ("tests/test_endpoint.py::test_listens_on_loopback_only",),
    ),
    Mutant(
        "endpoint-listens-after-stop",
        "        self.selector.close()\n        self.listener.close()",
        "        self.selector.close()",
        ("tests/test_endpoint.py::test_connections_are_refused_once_stopped",),
    ),
    Mutant(
        "endpoint-threads-take-signals",
        "        with _main_thread_signals_blocked():\n            self._server.start()",
        "        if True:\n            self._server.start()",
        (
            "tests/test_endpoint.py::test_request_threads_leave_signals_to_the_main_thread",
            "tests/test_endpoint.py::test_the_server_thread_is_born_with_the_signals_blocked",
        ),
    ),
    Mutant(
        "serve-signs-in-before-binding",
        "    profile = ctx.profile\n    renewer = Provider(",
        "    profile = ctx.profile\n    ctx.provider().credentials()\n    renewer = Provider(",
        ("tests/test_exec_server.py::test_serve_on_a_taken_port_or_a_bad_one",),
    ),
    Mutant(
        "exec-server-second-ctrl-c",
        "and _in_terminal_foreground():",
        "and False:",
        ("tests/test_exec_server.py::test_ctrl_c_in_a_terminal_reaches_the_child_once",),
    ),
    Mutant(
        "exec-server-signals-not-passed-on",
        "            child[0].send_signal(signum)\n        else:",
        "            pass\n        else:",
        ("tests/test_exec_server.py::test_signals_reach_the_child",),
    ),
    Mutant(
        "exec-server-signal-death-not-128-plus-n",
        "return 128 - code if code < 0 else code",
        "return code",
        ("tests/test_exec_server.py::test_the_childs_exit_code_is_the_tools",),
    ),
    Mutant(
        "endpoint-absolute-form-host-ignored",
        '        if self.target.startswith("/"):\n            return self.headers.get_all("Host")',
        '        if True:\n            return self.headers.get_all("Host")',
        ("tests/test_endpoint.py::test_a_request_target_naming_another_host_is_refused",),
    ),
    Mutant(
        "endpoint-port-80-host-without-port-refused",
        "        hosts.update(LOOPBACK_NAMES)",
        "        pass",
        ("tests/test_endpoint.py::test_on_port_80_the_host_header_may_leave_the_port_out",),
    ),
    Mutant(
        "exec-missing-command-not-127",
        "    if isinstance(exc, FileNotFoundError):\n        return CommandNotFound(",
        "    if False:\n        return CommandNotFound(",
        (
            "tests/test_exec_server.py::test_a_missing_command_and_no_command",
            "tests/test_commands.py::test_exec_a_command_that_cannot_run_exits_as_a_shell_would",
        ),
    ),
    Mutant(
        "exec-server-password-reaches-child",
        '    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",\n    ENV_PASSWORD,',
        '    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",',
        ("tests/test_exec_server.py::test_boto3_child_reads_the_endpoint_through_its_chain",),
    ),
    Mutant(
        "exec-server-aws-profile-reaches-child",
        '    "AWS_PROFILE",\n    "AWS_DEFAULT_PROFILE",\n    "AWS_WEB_IDENTITY_TOKEN_FILE",',
        '    "AWS_DEFAULT_PROFILE",\n    "AWS_WEB_IDENTITY_TOKEN_FILE",',
        ("tests/test_exec_server.py::test_boto3_child_reads_the_endpoint_through_its_chain",),
    ),
    Mutant(
        "exec-server-relative-uri-reaches-child",
        '    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",\n',
        "",
        ("tests/test_exec_server.py::test_boto3_child_reads_the_endpoint_through_its_chain",),
    ),
    Mutant(
        "exec-server-token-file-reaches-child",
        '    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",\n    ENV_PASSWORD,',
        "    ENV_PASSWORD,",
        ("tests/test_exec_server.py::test_boto3_child_reads_the_endpoint_through_its_chain",),
    ),
    # -- browser sign-in (auth_flow = BROWSER) ------------------------------------------
    Mutant(
        "browser-state-unchecked",
        'if not same_secret(params.get("state", ""), attempt.state):',
        "if False:",
        ("tests/security/test_hostile_sign_in_servers.py",),
    ),
    Mutant(
        "browser-missing-state-accepted",
        'if not same_secret(params.get("state", ""), attempt.state):',
        'if "state" in params and params["state"] != attempt.state:',
        (
            "tests/security/test_hostile_sign_in_servers.py::"
            "test_a_pasted_address_without_a_state_is_a_forged_state",
        ),
    ),
    Mutant(
        "browser-listener-takes-any-state",
        'if self._state is None or not same_secret(params.get("state", ""), self._state):',
        "if False:",
        (
            "tests/test_browser_units.py::test_listener_ignores_stray_requests_and_takes_one_callback",
            "tests/test_browser_signin.py::"
            "test_a_callback_not_of_this_sign_in_is_ignored_and_the_browsers_own_completes",
        ),
    ),
    Mutant(
        "browser-listener-takes-a-callback-without-the-cookie",
        "if binding is None or not any(same_secret(value, binding) for value in sent):",
        "if False:",
        (
            "tests/test_browser_units.py::test_listener_ignores_stray_requests_and_takes_one_callback",
            "tests/test_browser_signin.py::"
            "test_a_callback_not_of_this_sign_in_is_ignored_and_the_browsers_own_completes",
        ),
    ),
    Mutant(
        "browser-start-url-not-single-use",
        "if self._starts > 1 or self._authorize_url is None or self._callback is not None:",
        "if self._authorize_url is None:",
        (
            "tests/test_browser_units.py::test_a_second_load_of_the_start_url_ends_the_wait_as_raced",
            "tests/security/test_browser_login_csrf.py::"
            "test_a_racer_who_loads_the_start_url_first_ends_the_sign_in",
        ),
    ),
    Mutant(
        "browser-race-ignored-after-the-exchange",
        "                if listener.raced:  # the start URL was fetched again meanwhile\n"
        "                    raise raced",
        "                if False:\n                    raise raced",
        (
            "tests/security/test_browser_login_csrf.py::"
            "test_a_start_url_loaded_again_during_the_code_exchange_still_ends_the_sign_in",
        ),
    ),
    Mutant(
        "browser-gets-the-authorize-url",
        "launch = self.opener(start_url, self.environ)",
        "launch = self.opener(attempt.url, self.environ)",
        (
            "tests/security/test_browser_login_csrf.py::"
            "test_another_user_who_reads_the_process_table_cannot_sign_the_profile_in_as_herself",
            "tests/test_browser_signin.py::test_the_browser_gets_a_one_time_start_url_not_the_authorize_url",
        ),
    ),
    Mutant(
        "browser-listener-lets-every-user-in",
        "    if owner not in ours:\n",
        "    if False:\n",
        (
            "tests/security/test_browser_login_csrf.py::"
            "test_another_user_who_reads_the_process_table_cannot_sign_the_profile_in_as_herself",
        ),
    ),
    Mutant(
        "browser-owner-read-from-the-wrong-column",
        "_proc_address(fields[1]) == want_local\n",
        "_proc_address(fields[2]) == want_local\n",
        (
            "tests/test_browser_units.py::test_who_owns_the_far_end_of_a_loopback_connection",
            "tests/security/test_browser_login_csrf.py::"
            "test_another_user_who_reads_the_process_table_cannot_sign_the_profile_in_as_herself",
        ),
    ),
    Mutant(
        "browser-someone-else-taken",
        '        if before.get("sub") != now.get("sub"):',
        "        if False:",
        (
            "tests/security/test_browser_login_csrf.py::"
            "test_a_racer_who_finishes_first_is_refused_as_not_the_profiles_person",
            "tests/security/test_browser_login_csrf.py::"
            "test_login_as_someone_else_is_refused_unless_switch_user_says_so",
        ),
    ),
    Mutant(
        "browser-azp-unchecked",
        "if azp is not None and azp != settings.client_id:",
        "if False:",
        (
            "tests/test_browser_units.py::test_the_id_token_must_be_for_this_client_and_pool_and_in_date",
            "tests/security/test_id_token_checks.py",
        ),
    ),
    Mutant(
        "browser-expired-id-token-taken",
        "    if exp <= server_now:",
        "    if exp <= server_now - 86400:",
        (
            "tests/test_browser_units.py::test_the_id_token_must_be_for_this_client_and_pool_and_in_date",
            "tests/security/test_id_token_checks.py::"
            "test_an_id_token_that_expired_hours_ago_is_refused_not_cached",
        ),
    ),
    Mutant(
        "browser-skew-of-the-answer-ignored",
        "        return self.now() + skew.seconds",
        "        return self.now()",
        ("tests/security/test_hostile_sign_in_servers.py",),
    ),
    Mutant(
        "browser-updated-issuer-refused",
        'for host in ("cognito-idp", "issuer-cognito-idp")',
        'for host in ("cognito-idp",)',
        (
            "tests/test_browser_signin.py::test_a_pool_with_the_updated_issuer_signs_in_and_refreshes",
        ),
    ),
    Mutant(
        "browser-managed-login-basic-form-encoded",
        "cognito_basic=settings.oidc_issuer is None,",
        "cognito_basic=False,",
        ("tests/test_browser_signin.py::test_a_secret_with_plus_goes_in_cognitos_form_of_basic",),
    ),
    Mutant(
        "browser-oidc-basic-as-cognitos",
        "cognito_basic=settings.oidc_issuer is None,",
        "cognito_basic=True,",
        (
            "tests/test_browser_signin.py::"
            "test_a_secret_with_plus_goes_to_an_oidc_provider_as_rfc_6749_says",
        ),
    ),
    Mutant(
        "logins-key-ignored",
        "        if self.logins_key:\n            return self.logins_key",
        "        if False:\n            return self.logins_key",
        (
            "tests/test_config.py::test_logins_key_renames_the_provider_and_keys_its_own_cache_entries",
            "tests/test_browser_signin.py::"
            "test_logins_key_names_the_pool_as_the_identity_pool_registered_it",
        ),
    ),
    Mutant(
        "browser-pkce-wrong-verifier",
        "verifier=attempt.pkce.verifier,",
        "verifier=attempt.pkce.challenge,",
        (
            "tests/test_browser_signin.py::test_plain_run_signs_in_through_the_browser_then_serves_the_cache",
        ),
    ),
    Mutant(
        "browser-pkce-fixed-verifier",
        "verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]",
        'verifier = "v" * 86',
        ("tests/test_browser_units.py::test_a_fresh_verifier_every_time_of_the_allowed_form",),
    ),
    Mutant(
        "browser-pkce-plain",
        '"code_challenge_method": "S256",',
        '"code_challenge_method": "plain",',
        (
            "tests/test_browser_signin.py::test_plain_run_signs_in_through_the_browser_then_serves_the_cache",
        ),
    ),
    Mutant(
        "browser-nonce-unchecked",
        'if nonce is not None and not same_secret(str(claims.get("nonce", "")), nonce):',
        "if False:",
        ("tests/test_browser_units.py::test_an_oidc_id_token_must_carry_the_nonce_and_the_issuer",),
    ),
    Mutant(
        "browser-nonce-not-sent",
        "nonce = new_nonce() if s.oidc_issuer else None",
        "nonce = None",
        (
            "tests/test_browser_signin.py::test_oidc_provider_without_a_user_pool_signs_in_and_refreshes",
        ),
    ),
    Mutant(
        "browser-id-token-audience-unchecked",
        "if settings.client_id not in audiences:",
        "if False:",
        (
            "tests/test_browser_units.py::test_the_id_token_must_be_for_this_client_and_pool_and_in_date",
        ),
    ),
    Mutant(
        "browser-redirect-uri-path-unchecked",
        "if split.path != listener.path:",
        "if False:",
        (
            "tests/test_browser_units.py::test_listener_ignores_stray_requests_and_takes_one_callback",
        ),
    ),
    Mutant(
        "browser-redirect-uri-host-unchecked",
        'if not listener.host_ok(self.headers.get("Host")):',
        "if False:",
        (
            "tests/test_browser_units.py::test_listener_ignores_stray_requests_and_takes_one_callback",
        ),
    ),
    Mutant(
        "browser-listens-on-every-interface",
        'both = [(socket.AF_INET, "127.0.0.1")]',
        'both = [(socket.AF_INET, "0.0.0.0")]',
        ("tests/test_browser_units.py::test_listener_binds_the_loopback_interface_only",),
    ),
    Mutant(
        "browser-redirect-uri-changed-at-exchange",
        "redirect_uri=self.settings.redirect_uri,\n                verifier=",
        'redirect_uri=self.settings.redirect_uri + "/",\n                verifier=',
        (
            "tests/test_browser_signin.py::test_plain_run_signs_in_through_the_browser_then_serves_the_cache",
        ),
    ),
    Mutant(
        "browser-pasted-address-unchecked",
        "    if not same:\n        return None",
        "    if False:\n        return None",
        (
            "tests/test_browser_units.py::test_a_pasted_address_must_be_the_redirect_uri",
            "tests/test_browser_signin.py::test_login_no_browser_refuses_another_address",
        ),
    ),
    Mutant(
        "browser-plain-http-to-anywhere",
        'return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS',
        'return parts.scheme == "http"',
        ("tests/test_browser_units.py::test_https_is_required_except_on_loopback",),
    ),
    # -- secrets in output ---------------------------------------------------------------
    Mutant(
        "debug-log-not-redacted",
        "return printable(redact(super().format(record)))",
        "return printable(super().format(record))",
        ("tests/test_boundaries.py::test_a_registered_secret_never_reaches_the_debug_log",),
    ),
    Mutant(
        "error-message-not-redacted",
        'sys.stderr.write(f"{PROG}: {redact(str(exc))}\\n")',
        'sys.stderr.write(f"{PROG}: {exc}\\n")',
        (
            "tests/test_boundaries.py::test_the_one_place_that_prints_errors_redacts_what_reaches_it",
        ),
    ),
    # -- a hostile local user and a hostile endpoint (tests/security) --------------------
    Mutant(
        "settings-file-opened-by-path-again",
        "            fd, info = open_file(folder, name)\n        except Unsafe as exc:\n"
        "            if missing_ok",
        "            fd, info = os.open(path, os.O_RDONLY), os.stat(path)\n"
        "        except Unsafe as exc:\n            if missing_ok",
        (
            "tests/security/test_settings_swap.py::"
            "test_settings_are_opened_once_and_checked_on_the_descriptor",
        ),
    ),
    Mutant(
        "writable-parent-directory-accepted",
        "    if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:",
        "    if False:",
        (
            "tests/security/test_settings_swap.py::"
            "test_rename_race_cannot_swap_in_another_users_settings",
            "tests/security/test_settings_swap.py::test_rename_race_cannot_redirect_the_cache",
        ),
    ),
    Mutant(
        "planted-fifo-blocks",
        '    | getattr(os, "O_NONBLOCK", 0)\n',
        "",
        ("tests/security/test_planted_files.py::test_fifo_at_the_settings_path_does_not_hang",),
    ),
    Mutant(
        "clear-all-deletes-any-json",
        'ENTRY_PATTERN = r"^(?:signin|identity|credentials|browserfail)-[0-9a-f]{32}\\.json$"',
        'ENTRY_PATTERN = r"^.*\\.json$"',
        (
            "tests/security/test_planted_files.py::"
            "test_clear_all_in_a_project_deletes_only_its_own_entries",
        ),
    ),
    # -- what another local user or a hostile server sends the browser sign-in ----------
    Mutant(
        "listener-errors-printed-on-stderr",
        'log.debug("sign-in listener: a request failed (%s)", sys.exc_info()[0])',
        "super().handle_error(request, client_address)",
        ("tests/security/test_loopback_floods.py::test_requests_that_break_off_print_nothing",),
    ),
    Mutant(
        "listener-unparsable-target-not-answered",
        '        except ValueError:  # "GET http://[::1/ HTTP/1.0": not the browser\'s\n',
        "        except KeyError:\n",
        (
            "tests/security/test_sign_in_listener.py::"
            "test_stray_requests_of_this_users_programs_are_answered_and_never_reach_stderr",
        ),
    ),
    Mutant(
        "state-compared-as-str",
        """    return hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )""",
        "    return hmac.compare_digest(given, expected)",
        (
            "tests/test_browser_units.py::test_listener_ignores_stray_requests_and_takes_one_callback",
            "tests/security/test_hostile_sign_in_servers.py",
        ),
    ),
    Mutant(
        "browser-command-gets-the-password",
        "start_detached(argv, browser_environment(environ))",
        "start_detached(argv, dict(environ))",
        (
            "tests/security/test_secret_leaks.py::"
            "test_the_browser_does_not_inherit_the_password[BROWSER]",
        ),
    ),
    Mutant(
        "webbrowser-gets-the-password",
        "password = os.environ.pop(ENV_PASSWORD, None)",
        "password = None",
        (
            "tests/security/test_secret_leaks.py::"
            "test_the_browser_does_not_inherit_the_password[webbrowser]",
        ),
    ),
    Mutant(
        "created-parents-left-to-the-umask",
        "os.fchmod(child, mode)  # the umask may have left more, or less",
        "os.fchmod(child, 0o777)",
        ("tests/security/test_private_directories.py",),
    ),
    Mutant(
        "exec-child-inherits-the-password",
        'for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", ENV_PASSWORD):',
        'for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):',
        ("tests/security/test_secret_leaks.py::test_exec_child_does_not_inherit_the_password",),
    ),
    Mutant(
        "credentials-inside-the-margin-accepted",
        "        if left <= profile.refresh_margin:\n            # The SDKs would renew",
        "        if False:\n            # The SDKs would renew",
        ("tests/test_provider.py::test_credentials_inside_the_margin_on_arrival_are_an_error",),
    ),
    Mutant(
        "clock-days-off-accepted",
        "        if abs(skew) > MAX_CLOCK_SKEW_SECONDS:\n            direction",
        "        if False:\n            direction",
        (
            "tests/security/test_hostile_endpoint.py::"
            "test_a_clock_two_days_off_is_an_error_not_two_days_of_dead_keys",
        ),
    ),
    Mutant(
        "powershell-curly-quotes-not-doubled",
        'POWERSHELL_QUOTES = "\'\\u2018\\u2019\\u201a\\u201b"',
        'POWERSHELL_QUOTES = "\'"',
        ("tests/security/test_output_injection.py",),
    ),
    Mutant(
        "control-characters-reach-the-terminal",
        "    return CONTROL_RE.sub(_escape, text)",
        "    return text",
        (
            "tests/security/test_hostile_endpoint.py::"
            "test_service_messages_cannot_drive_the_terminal",
        ),
    ),
    # -- time zones: local time labelled Z, a Z time read as local -----------------------
    Mutant(
        "tz-expiration-printed-in-local-time",
        'time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))',
        'time.strftime("%Y-%m-%dT%H:%M:%SZ", time.localtime(int(epoch)))',
        (
            "tests/test_time_zones.py::test_the_printed_expiration_is_the_instant_in_utc",
            "tests/test_time_zones.py::"
            "test_the_tool_in_a_time_zone_prints_checks_and_shows_the_services_instants",
        ),
    ),
    Mutant(
        "tz-doctor-reads-the-expiration-as-local",
        'left = calendar.timegm(time.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ")) - now()',
        'left = time.mktime(time.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ")) - now()',
        (
            "tests/test_time_zones.py::"
            "test_doctor_reads_the_expiration_as_utc_and_says_how_far_it_is",
        ),
    ),
    Mutant(
        "tz-status-shows-the-id-token-in-local-time",
        'row["id_token_expires"] = iso_utc(tokens.id_expiry)',
        'row["id_token_expires"] = __import__("time").strftime('
        '"%Y-%m-%dT%H:%M:%SZ", __import__("time").localtime(tokens.id_expiry))',
        ("tests/test_time_zones.py::test_status_names_the_cached_instants_and_ages",),
    ),
    Mutant(
        "tz-service-expiration-read-as-utc-wall-time",
        "        if value.tzinfo is None:\n            value = value.replace(tzinfo=timezone.utc)",
        "        value = value.replace(tzinfo=timezone.utc)",
        (
            "tests/test_time_zones.py::"
            "test_the_services_expiration_is_cached_and_printed_as_the_same_instant",
        ),
    ),
    Mutant(
        "tz-date-header-read-as-local",
        "server = parsedate_to_datetime(date_header).timestamp()",
        "server = time.mktime(parsedate_to_datetime(date_header).timetuple())",
        (
            "tests/test_time_zones.py::"
            "test_the_services_expiration_is_cached_and_printed_as_the_same_instant",
        ),
    ),
    # -- clock skew: every reuse decision by the service's clock -------------------------
    Mutant(
        "skew-measured-backwards",
        "skew = server - local_now",
        "skew = local_now - server",
        ("tests/test_skew.py::test_cached_credentials_last_their_hour_by_the_services_clock",),
    ),
    Mutant(
        "skew-cached-credentials-not-moved-to-the-local-clock",
        "return creds.shifted(-skew).with_account(self.profile.effective_account_id)",
        "return creds.with_account(self.profile.effective_account_id)",
        ("tests/test_skew.py::test_cached_credentials_last_their_hour_by_the_services_clock",),
    ),
    Mutant(
        "skew-fetched-credentials-not-moved-to-the-local-clock",
        "local = creds.shifted(-skew)  # Expiration by this machine's clock",
        "local = creds  # Expiration by this machine's clock",
        ("tests/test_skew.py::test_cached_credentials_last_their_hour_by_the_services_clock",),
    ),
    Mutant(
        "skew-id-token-judged-by-the-local-clock-in-a-new-process",
        "return self.store.service_time(self.now())",
        "return self.now()",
        ("tests/test_skew.py::test_the_cached_id_token_is_judged_by_the_services_clock",),
    ),
    Mutant(
        "skew-id-token-judged-by-the-local-clock-in-a-long-lived-process",
        "return self.now() + self.checked_skew()",
        "return self.now()",
        ("tests/test_skew.py::test_the_cached_id_token_is_judged_by_the_services_clock",),
    ),
    Mutant(
        "skew-access-token-judged-by-the-local-clock",
        "cached.access_expiry > self.server_now():",
        "cached.access_expiry > self.now():",
        ("tests/test_skew.py::test_the_cached_id_token_is_judged_by_the_services_clock",),
    ),
    Mutant(
        "skew-token-command-judged-by-the-local-clock",
        "service_now = store.service_time(ctx.now())",
        "service_now = ctx.now()",
        ("tests/test_skew.py::test_token_prints_the_cached_token_while_the_service_takes_it",),
    ),
    Mutant(
        "skew-logout-global-judged-by-the-local-clock",
        "left = tokens.access_expiry - store.service_time(now)",
        "left = tokens.access_expiry - now",
        ("tests/test_skew.py::test_logout_global_renews_an_access_token_the_service_would_refuse",),
    ),
    # -- two regions: each pool asked in its own region ---------------------------------
    Mutant(
        "region-identity-pool-asked-in-the-user-pools-region",
        'return self.get("cognito-identity", self.profile.identity_region)',
        'return self.get("cognito-identity", self.profile.region)',
        ("tests/test_regions.py::test_each_pool_is_asked_in_its_own_region",),
    ),
    Mutant(
        "region-user-pool-asked-in-the-identity-pools-region",
        'return self.get("cognito-idp", self.profile.region)',
        'return self.get("cognito-idp", self.profile.identity_region)',
        ("tests/test_regions.py::test_each_pool_is_asked_in_its_own_region",),
    ),
    # -- env and serve output read back by the real shells and a dotenv parser ---------
    Mutant(
        "shell-sh-values-in-double-quotes",
        'lines.append(f"export {name}={shlex.quote(value)}")',
        "lines.append(f'export {name}=\"{value}\"')",
        (
            "tests/test_shell_output.py::test_hostile_values_come_back_exactly[bash]",
            "tests/test_shell_output.py::test_hostile_values_come_back_exactly[dash]",
        ),
    ),
    Mutant(
        "shell-fish-backslashes-not-escaped",
        """quoted = value.replace("\\\\", "\\\\\\\\").replace("'", "\\\\'")""",
        """quoted = value.replace("'", "\\\\'")""",
        ("tests/test_shell_output.py::test_hostile_values_come_back_exactly[fish]",),
    ),
    Mutant(
        "shell-dotenv-backslashes-not-escaped",
        r""""\\": "\\\\", '"': '\\"'}""",
        r"""'"': '\\"'}""",
        ("tests/test_shell_output.py::test_hostile_values_come_back_exactly[dotenv]",),
    ),
    # -- INI files as people have them (tests/ini_corpus) ---------------------------------
    Mutant(
        "ini-aws-profile-header-read-as-plain-text",
        "    same = aws_profile_header(name)\n",
        "    same = None\n",
        (
            "tests/test_ini_corpus.py::test_an_existing_profile_is_kept_unless_forced_then_replaced_in_place",
        ),
    ),
    Mutant(
        "ini-header-with-a-comment-not-a-header",
        r'HEADER_RE = re.compile(r"^\ufeff?\s*\[([^\]]+)\]\s*(?:[#;].*)?$")',
        r'HEADER_RE = re.compile(r"^\ufeff?\s*\[([^\]]+)\]\s*$")',
        (
            "tests/test_ini_corpus.py::test_an_existing_profile_is_kept_unless_forced_then_replaced_in_place",
        ),
    ),
    Mutant(
        "ini-crlf-section-compared-as-written",
        'block = text[found[0] : found[1]].replace("\\r\\n", "\\n")',
        "block = text[found[0] : found[1]]",
        (
            "tests/test_ini_corpus.py::test_rerunning_configure_on_a_settings_file_saved_by_a_windows_editor",
        ),
    ),
    Mutant(
        "ini-new-section-with-lf-in-a-crlf-file",
        "    eol = line_ending(text)\n    block =",
        '    eol = "\\n"\n    block =',
        ("tests/test_ini_corpus.py::test_a_new_profile_is_added_and_nothing_else_changes",),
    ),
    Mutant(
        "ini-aws-config-read-with-crlf-turned-into-lf",
        '        return data.decode("utf-8")\n    except UnicodeDecodeError as exc:',
        '        return data.decode("utf-8").replace("\\r\\n", "\\n")\n'
        "    except UnicodeDecodeError as exc:",
        ("tests/test_ini_corpus.py::test_a_new_profile_is_added_and_nothing_else_changes",),
    ),
    Mutant(
        "ini-byte-order-mark-kept-in-the-aws-config",
        "            aws_text = aws_text[len(BOM) :]\n",
        "            aws_text = aws_text\n",
        ("tests/test_ini_corpus.py::test_a_new_profile_is_added_and_nothing_else_changes",),
    ),
    Mutant(
        "ini-doctor-reads-repeated-sections-leniently",
        "parser = configparser.RawConfigParser()  # botocore's",
        "parser = configparser.RawConfigParser(strict=False)  # botocore's",
        ("tests/test_ini_corpus.py::test_doctor_says_when_the_aws_cli_cannot_read_the_file",),
    ),
    Mutant(
        "ini-doctor-takes-every-section-for-a-profile",
        'profiles: dict[str, dict[str, str]] = build_profile_map(sections)["profiles"]',
        "profiles: dict[str, dict[str, str]] = sections",
        ("tests/test_ini_corpus.py::test_doctor_reads_the_aws_config_as_the_aws_cli_does",),
    ),
    Mutant(
        "ini-doctor-byte-order-mark-unexplained",
        "    if text.startswith(BOM):\n        report.fail(",
        "    if False:\n        report.fail(",
        ("tests/test_ini_corpus.py::test_doctor_reads_the_aws_config_as_the_aws_cli_does",),
    ),
    # -- settings whose spelling reaches the network -----------------------------------
    Mutant(
        "net-iss-compared-with-the-configured-issuer",
        "expected = (endpoints.issuer,) if endpoints.issuer else settings.pool_issuers",
        "expected = (settings.oidc_issuer,) if settings.oidc_issuer else settings.pool_issuers",
        ("tests/test_settings_network.py::test_an_oidc_issuer_with_or_without_its_trailing_slash",),
    ),
    Mutant(
        "net-discovery-url-with-a-double-slash",
        'url = issuer.rstrip("/") + DISCOVERY_PATH',
        "url = issuer + DISCOVERY_PATH",
        ("tests/test_settings_network.py::test_an_oidc_issuer_with_or_without_its_trailing_slash",),
    ),
    Mutant(
        "net-logins-key-keeps-the-issuers-slash",
        'return self.oidc_issuer.split("://", 1)[-1].rstrip("/")',
        'return self.oidc_issuer.split("://", 1)[-1]',
        ("tests/test_settings_network.py::test_an_oidc_issuer_with_or_without_its_trailing_slash",),
    ),
    Mutant(
        "net-login-domain-keeps-its-slash",
        'base = login_domain.rstrip("/")',
        "base = login_domain",
        ("tests/test_settings_network.py::test_a_login_domain_with_a_trailing_slash",),
    ),
    Mutant(
        "net-slash-appended-to-a-bare-redirect-uri",
        "            redirect_uri=s.redirect_uri,\n",
        '            redirect_uri=s.redirect_uri.rstrip("/") + "/",\n',
        ("tests/test_settings_network.py::test_a_redirect_uri_without_a_path",),
    ),
    Mutant(
        "net-bare-redirect-uri-listens-at-no-path",
        'return host, port, parts.path or "/"',
        "return host, port, parts.path",
        (
            "tests/test_settings_network.py::test_the_listener_takes_the_callback_at_the_root_of_a_bare_redirect_uri",
        ),
    ),
    Mutant(
        "net-listener-on-port-80-refuses-a-host-without-port",
        "            allowed.update(LOOPBACK_NAMES)",
        "            pass",
        ("tests/test_settings_network.py::test_the_default_port_of_a_redirect_uri",),
    ),
    Mutant(
        "child-started-with-python-dash-m",
        "    return [script] if script is not None else bootstrap_argv()",
        '    return [sys.executable, "-m", "cognito_credproc"]',
        (
            "tests/security/test_working_directory.py::"
            "test_early_refresh_child_does_not_import_from_the_working_directory",
        ),
    ),
    # -- Windows and macOS (the simulated Windows, the macOS layer) -----------------------
    Mutant(
        "windows-owner-not-judged",
        "    if owner is None or not trusted(owner, user):",
        "    if owner is None:",
        ("tests/test_sddl.py::test_another_owner_is_refused_whatever_the_dacl",),
    ),
    Mutant(
        "windows-inherit-only-entries-counted",
        "        if ace.inherit_only and not inheritable:",
        "        if False:",
        ("tests/test_sddl.py::test_entries_that_only_children_inherit_do_not_apply_to_the_folder",),
    ),
    Mutant(
        "windows-delete-not-a-swap-right",
        "SWAP_RIGHTS = DELETE | DELETE_CHILD | WRITE_DAC | WRITE_OWNER",
        "SWAP_RIGHTS = DELETE_CHILD | WRITE_DAC | WRITE_OWNER",
        (
            "tests/test_windows.py::test_a_directory_above_is_refused_only_when_others_may_rename_in_it",
        ),
    ),
    Mutant(
        "windows-generic-write-not-mapped",
        "    (GENERIC_WRITE, FILE_GENERIC_WRITE),",
        "    (GENERIC_WRITE, 0),",
        ("tests/test_sddl.py::test_generic_rights_count_as_the_file_rights_they_stand_for",),
    ),
    Mutant(
        "windows-ancestor-not-checked",
        '                    raise Unsafe("not-dir", where)\n'
        "                check(handles[-1], where, sddl.SWAP_RIGHTS)",
        '                    raise Unsafe("not-dir", where)',
        (
            "tests/test_windows.py::test_a_directory_above_is_refused_only_when_others_may_rename_in_it",
        ),
    ),
    Mutant(
        "windows-link-followed-unchecked",
        "                    check(fd, where, sddl.CHANGE_RIGHTS)",
        "                    pass",
        ("tests/test_windows.py::test_links_are_followed_only_where_nobody_else_can_change_them",),
    ),
    Mutant(
        "windows-cache-entry-not-judged",
        '        return self._problem(fd, "", sddl.CHANGE_RIGHTS) is None',
        "        return True",
        ("tests/test_windows.py::test_a_cache_entry_others_may_change_is_a_miss",),
    ),
    Mutant(
        "windows-made-with-an-inherited-acl",
        '    return f"D:P(A;{inherit};FA;;;{user})"',
        '    return f"D:(A;{inherit};FA;;;{user})"',
        ("tests/test_sddl.py::test_what_the_tool_creates_is_the_users_alone_and_protected",),
    ),
    Mutant(
        "windows-replace-not-tried-again",
        "                if winerror not in SHARING_ERRORS:",
        "                if True:",
        ("tests/test_windows.py::test_a_replace_that_meets_two_sharing_violations_is_tried_again",),
    ),
    Mutant(
        "windows-console-echoes-secrets",
        "                chars.append(key)\n                if not secret:",
        "                chars.append(key)\n                if True:",
        ("tests/test_windows.py::test_a_password_and_a_code_typed_on_the_console",),
    ),
    Mutant(
        "windows-console-backspace-ignored",
        "                if chars:\n                    chars.pop()",
        "                if False:\n                    chars.pop()",
        ("tests/test_windows.py::test_a_password_and_a_code_typed_on_the_console",),
    ),
    Mutant(
        "windows-console-ctrl-c-taken-as-a-character",
        '            if key == "\\x03":',
        '            if key == "\\x1b":',
        ("tests/test_windows.py::test_ctrl_c_at_the_console_aborts_with_130",),
    ),
    Mutant(
        "windows-prompt-without-a-console",
        "        return WindowsConsole(self.api) if self.api.console() else None",
        "        return WindowsConsole(self.api)",
        ("tests/test_windows.py::test_no_console_fails_at_once_with_the_login_advice",),
    ),
    Mutant(
        "windows-background-process-in-our-group",
        "        return self.api.popen_options(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP)",
        "        return self.api.popen_options(DETACHED_PROCESS)",
        ("tests/test_windows.py::test_processes_started_in_the_background_get_no_console",),
    ),
    Mutant(
        "windows-exec-dies-at-the-consoles-ctrl-c",
        "        return self.exit_status(run_child(command, dict(env)))",
        "        import subprocess; return subprocess.call(command, env=env)",
        (
            "tests/test_windows_e2e.py::test_ctrl_c_in_the_console_during_exec_is_the_commands_to_handle",
        ),
    ),
    Mutant(
        "windows-exit-code-unsigned",
        "        return code - (1 << 32) if code >= 1 << 31 else code",
        "        return code",
        ("tests/test_windows.py::test_windows_exit_codes_pass_on_signed",),
    ),
    Mutant(
        "windows-parent-never-gone",
        "        return self.api.process_gone(parent)",
        "        return False",
        ("tests/test_windows.py::test_the_parent_watch_asks_windows_about_the_parent",),
    ),
    Mutant(
        "windows-browser-gets-the-password",
        "            with no_password_inherited():  # the browser may be started as our child",
        "            if True:",
        (
            "tests/test_windows.py::test_the_default_browser_is_started_by_windows_without_the_password",
        ),
    ),
    Mutant(
        "windows-line-path-quoted",
        "            if not cmd_safe(word) and os.path.isabs(word):",
        "            if False:",
        ("tests/test_windows_e2e.py::test_a_line_with_a_space_in_the_path_runs_under_cmd_exe",),
    ),
    Mutant(
        "doctor-line-not-run-through-cmd",
        "        run_through_shell(report, ctx, line, env)",
        "        pass",
        ("tests/test_windows_e2e.py::test_doctor_shows_a_line_cmd_exe_cannot_run",),
    ),
    Mutant(
        "macos-xdg-taken-for-library",
        "        if os.environ.get(_XDG_VARIABLES[kind]):",
        "        if False:",
        ("tests/test_macos.py::test_the_library_directories_agree_with_platformdirs",),
    ),
    Mutant(
        "macos-open-gets-the-password",
        "start_detached([self.open_command, url], browser_environment(environ))",
        "start_detached([self.open_command, url], dict(environ))",
        ("tests/test_macos.py::test_the_browser_is_opened_with_open_and_without_the_password",),
    ),
    # -- account self-service --------------------------------------------------------------
    Mutant(
        "reset-not-offered-at-sign-in",
        "            if not recovered(self, exc):",
        "            if True:",
        (
            "tests/test_account.py::test_login_after_an_admin_reset_resets_then_signs_in",
            "tests/test_account.py::test_aws_cli_after_an_admin_reset_needs_one_reset_dialogue",
        ),
    ),
    Mutant(
        "reset-required-hint-says-login",
        'return f"run: cognito-credproc password reset --profile {profile.name}"',
        'return f"run: {login}"',
        ("tests/test_account.py::test_a_required_reset_without_a_terminal_says_what_to_run",),
    ),
    Mutant(
        "unconfirmed-hint-says-login",
        'return f"run: cognito-credproc signup confirm --profile {profile.name}"',
        'return f"run: {login}"',
        ("tests/test_account.py::test_an_unconfirmed_user_without_a_terminal_is_told_the_command",),
    ),
    Mutant(
        "reset-one-try-at-the-code",
        "                if wrong >= PASSWORD_TRIES:\n                    raise AuthFailed(\n"
        '                        "the code was not accepted (three tries)',
        "                if wrong >= 1:\n                    raise AuthFailed(\n"
        '                        "the code was not accepted (three tries)',
        ("tests/test_account.py::test_a_wrong_code_is_asked_again_three_tries",),
    ),
    Mutant(
        "reset-expired-code-not-resent",
        "                if resent > MAX_RESENDS:",
        "                if resent > 0:",
        ("tests/test_account.py::test_an_expired_code_sends_a_new_one",),
    ),
    Mutant(
        "reset-refused-password-asks-the-code-again",
        '                    "Choose another (the code stays valid)."\n                )\n'
        "                password = None",
        '                    "Choose another (the code stays valid)."\n                )\n'
        "                password = code = None",
        ("tests/test_account.py::test_a_password_the_policy_refuses_shows_the_policy",),
    ),
    Mutant(
        "reset-limit-unexplained",
        '        if exc.code == "LimitExceededException":\n            raise _limit(profile, exc)',
        "        if False:\n            raise _limit(profile, exc)",
        ("tests/test_account.py::test_too_many_codes_says_to_wait",),
    ),
    Mutant(
        "reset-admin-only-unexplained",
        "            raise _admin_only(profile, username, exc) from None",
        "            raise",
        ("tests/test_account.py::test_admin_only_recovery_says_who_can_help",),
    ),
    Mutant(
        "account-calls-with-an-expired-access-token",
        "            if tokens.access_expiry - self.server_now() <= TOKEN_MARGIN_SECONDS:\n"
        "                tokens, _ = self._obtain_tokens(distrust_cached=True)",
        "            if False:\n"
        "                tokens, _ = self._obtain_tokens(distrust_cached=True)",
        ("tests/test_account.py::test_an_access_token_near_its_end_is_renewed_before_the_call",),
    ),
    Mutant(
        "signup-empty-code-sent",
        "        if code:\n            register_secret(code)\n            try:",
        "        if True:\n            register_secret(code)\n            try:",
        ("tests/test_account.py::test_login_of_an_unconfirmed_user_confirms_then_signs_in",),
    ),
    Mutant(
        "forgotten-device-stays-cached",
        "        if key == mine:",
        "        if False:",
        ("tests/test_account.py::test_devices_lists_and_forgets_this_machine",),
    ),
    Mutant(
        "mfa-off-refusal-unexplained",
        '        if exc.code != "InvalidParameterException":\n            raise\n'
        "        raise AuthFailed(",
        "        if True:\n            raise\n        raise AuthFailed(",
        ("tests/test_account.py::test_mfa_off_refused_by_a_pool_that_requires_mfa",),
    ),
    Mutant(
        "totp-set-up-but-not-preferred",
        '            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},\n        )\n'
        "        terminal.say(",
        '            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},\n'
        "        )\n        terminal.say(",
        ("tests/test_account.py::test_mfa_setup_totp_draws_the_code_and_turns_it_on",),
    ),
    Mutant(
        "whoami-role-arn-always-allowed",
        '        info["role_arn_allowed"] = profile.role_arn in info["roles"]',
        '        info["role_arn_allowed"] = True',
        ("tests/test_account.py::test_whoami_names_a_role_arn_the_token_does_not_allow",),
    ),
    Mutant(
        "account-code-not-redacted",
        "        if code:\n            register_secret(code)\n            return code",
        "        if code:\n            return code",
        ("tests/test_account_units.py::test_a_code_is_typed_unseen_and_redacted_from_then_on",),
    ),
    Mutant(
        "qr-format-bits-unmasked",
        "    bits = (data << 10 | remainder) ^ 0x5412",
        "    bits = data << 10 | remainder",
        ("tests/test_qr.py",),
    ),
    Mutant(
        "qr-pad-codewords-not-alternating",
        "        pad ^= 0xEC ^ 0x11",
        "        pass",
        ("tests/test_qr.py::test_short_text_is_padded_as_the_standard_says",),
    ),
    # -- the demo's install hint ---------------------------------------------------------
    Mutant(
        "uv-tool-taken-for-pip",
        "    if os.path.isfile(receipt):\n        return _uv_tool_hint(receipt)",
        "    if False:\n        return _uv_tool_hint(receipt)",
        ("tests/test_demo.py::test_the_install_hint_of_a_uv_tool_names_its_source",),
    ),
    Mutant(
        "uv-tool-editable-reinstalled-as-a-copy",
        '        return f"uv tool install -e {shlex.quote(value + wanted)}"',
        '        return f"uv tool install {shlex.quote(value + wanted)}"',
        ("tests/test_demo.py::test_the_install_hint_of_a_uv_tool_names_its_source",),
    ),
    Mutant(
        "doctor-runs-a-line-it-flagged",
        "    if problems:\n        return None\n    report.ok(",
        "    if False:\n        return None\n    report.ok(",
        ("tests/security/test_working_directory.py::test_doctor_never_runs_a_python_dash_m_line",),
    ),
    Mutant(
        "doctor-runs-a-command-path-found-in-the-working-directory",
        "        if not os.path.isabs(found):",
        "        if False:",
        (
            "tests/security/test_working_directory.py::"
            "test_doctor_never_runs_a_line_found_in_the_working_directory",
        ),
    ),
    Mutant(
        "doctor-trusts-a-relative-path-entry",
        '            return entry or "(empty)"',
        "            return None",
        (
            "tests/security/test_working_directory.py::"
            "test_doctor_never_runs_a_line_a_relative_path_entry_could_redirect",
        ),
    ),
    # -- redaction ------------------------------------------------------------------------
    Mutant(
        "clip-cuts-before-redacting",
        "    text = redact(text)\n    if len(text) <= limit:\n        return text",
        "    if len(text) <= limit:\n        return redact(text)",
        (
            "tests/security/test_redaction_cuts.py::"
            "test_clip_leaves_not_even_a_short_piece_of_a_secret",
        ),
    ),
    Mutant(
        "prefix-left-by-a-cut-not-redacted",
        "(end == len(text) or text.startswith(CUT_MARKS, end))",
        "(end == len(text) and False)",
        (
            "tests/security/test_redaction_cuts.py::"
            "test_a_prefix_left_by_a_cut_made_before_redaction_is_redacted",
        ),
    ),
    Mutant(
        "overlapping-secrets-not-merged",
        "        if merged and start <= merged[-1][1]:",
        "        if merged and start < merged[-1][0]:",
        (
            "tests/security/test_redaction_cuts.py::"
            "test_whole_secrets_are_redacted_wherever_they_are",
        ),
    ),
    Mutant(
        "service-message-cut-before-redaction",
        '    return clip(" ".join(redact(text).split()), limit)',
        '    flat = " ".join(text.split()); return redact(flat[: limit - 1] + "x")',
        (
            "tests/security/test_redaction_cuts.py::"
            "test_no_cut_of_a_service_message_leaves_a_prefix",
        ),
    ),
    # -- a linked ~/.aws/config ------------------------------------------------------------
    Mutant(
        "aws-config-link-replaced-by-a-copy",
        "write_private(second_path, second_new, linked_directory_ok=True, through_links=True)",
        "write_private(second_path, second_new, linked_directory_ok=True, through_links=False)",
        (
            "tests/security/test_linked_aws_config.py::"
            "test_configure_writes_through_a_link_into_the_dotfiles",
        ),
    ),
    Mutant(
        "link-target-of-another-user-written",
        "                if not is_mine(info) and not (root_ok and info.st_uid == 0):",
        "                if False:",
        (
            "tests/security/test_linked_aws_config.py::"
            "test_a_file_of_hers_that_appears_before_the_write_is_not_replaced",
        ),
    ),
    # -- the credentials endpoint under bursts and floods ---------------------------------
    Mutant(
        "silent-connections-never-expire",
        "            if oldest.deadline > now:",
        "            if True:",
        (
            "tests/security/test_endpoint_floods.py::"
            "test_a_connection_that_sends_nothing_is_closed_at_its_deadline",
        ),
    ),
    Mutant(
        "no-limit-on-waiting-connections",
        "            while len(self.pending) >= self.max_pending:",
        "            while False:",
        (
            "tests/security/test_endpoint_floods.py::"
            "test_when_too_many_are_open_the_oldest_silent_one_goes",
        ),
    ),
    Mutant(
        "request-head-of-any-size",
        "not found and len(pending.buffer) > MAX_HEAD_BYTES",
        "not found and False",
        (
            "tests/security/test_endpoint_floods.py::"
            "test_more_than_a_request_head_may_hold_is_closed",
        ),
    ),
    Mutant(
        "requests-wait-for-renewals-despite-good-keys",
        "        if found is not None and found.expiration - self.now() > self.margin:",
        "        if False:",
        (
            "tests/security/test_endpoint_floods.py::"
            "test_credentials_are_renewed_ahead_of_the_margin_while_requests_go_on",
        ),
    ),
    Mutant(
        "no-renewal-ahead-of-the-margin",
        "        return max(0.0, min(RENEW_AHEAD_SECONDS, (self._lifetime - self.margin) / 2))",
        "        return 0.0",
        (
            "tests/security/test_endpoint_floods.py::"
            "test_credentials_are_renewed_ahead_of_the_margin_while_requests_go_on",
        ),
    ),
    Mutant(
        "requests-wait-on-a-service-that-just-failed",
        "        if self._failed_at is not None and self.now() - self._failed_at < self.retry_after"
        ":",
        "        if False:",
        (
            "tests/security/test_endpoint_floods.py::"
            "test_after_a_failed_renewal_requests_do_not_wait_on_the_service_again",
        ),
    ),
    Mutant(
        "endpoint-answers-any-path",
        "        if not self.path_matches(request.path()):",
        "        if False:",
        (
            "tests/security/test_stale_endpoint.py::test_the_exported_url_has_a_path_of_each_runs_own",
        ),
    ),
    Mutant(
        "serve-keeps-quiet-about-a-fixed-port",
        "        if ctx.args.port:",
        "        if False:",
        (
            "tests/security/test_stale_endpoint.py::"
            "test_serve_warns_about_a_fixed_port_and_says_to_unset_the_variables",
        ),
    ),
    # -- children and their signal mask ----------------------------------------------------
    Mutant(
        "child-inherits-the-threads-signal-mask",
        "    previous = signal.pthread_sigmask(signal.SIG_SETMASK, ())",
        "    previous = signal.pthread_sigmask(signal.SIG_BLOCK, ())",
        (
            "tests/security/test_child_signal_mask.py::"
            "test_a_password_command_the_renewal_thread_needs_starts_with_no_signal_blocked",
        ),
    ),
    Mutant(
        "serve-renewal-opens-a-browser-tab",
        "    renewer.no_browser = True",
        "    renewer.no_browser = False",
        (
            "tests/security/test_child_signal_mask.py::"
            "test_a_browser_sign_in_a_renewal_of_serve_needs_opens_no_tab",
        ),
    ),
    # -- settings the service would refuse ------------------------------------------------
    Mutant(
        "identity-pool-id-any-hex",
        '_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"',
        '_UUID = r"[0-9a-fA-F-]+"',
        (
            "tests/security/test_settings_the_service_refuses.py::"
            "test_an_identity_pool_id_that_is_not_region_colon_uuid_is_refused",
        ),
    ),
    Mutant(
        "region-other-than-the-user-pools",
        "    if region == pool_region:",
        "    if True:",
        (
            "tests/security/test_settings_the_service_refuses.py::"
            "test_a_user_pool_of_another_region_than_region_is_refused",
        ),
    ),
    # -- configure's questions ------------------------------------------------------------
    Mutant(
        "configure-bad-answer-ends-it",
        "            except Invalid as exc:\n                problem = str(exc)\n            else:",
        "            except Invalid as exc:\n"
        "                raise ConfigError(str(exc)) from None\n"
        "            else:",
        ("tests/test_configure_questions.py::test_configure_asks_for_a_browser_profile",),
    ),
    Mutant(
        "configure-secret-echoed",
        "answer = person.ask(prompt, secret=not setting.flag)",
        "answer = person.ask(prompt, secret=False)",
        (
            "tests/test_configure_questions.py::test_a_client_secret_is_typed_unseen_and_kept_unseen",
        ),
    ),
    Mutant(
        "configure-edit-forgets-the-profile",
        "    before = {} if existing is None else section_values(config_path, existing)",
        "    before: dict[str, str] = {}",
        ("tests/test_configure_questions.py::test_one_flag_changes_one_key_without_force",),
    ),
    Mutant(
        "configure-new-way-keeps-the-old-ways-keys",
        "    for key, _why in misplaced_keys(_with_marker(new, way)):",
        "    for key, _why in []:",
        ("tests/test_configure_ways.py::test_a_new_way_keeps_what_it_uses_and_drops_the_rest",),
    ),
    Mutant(
        "configure-asks-for-a-key-the-way-refuses",
        "        and not _misplaced(setting.name, probe)\n",
        "",
        ("tests/test_configure_ways.py::test_every_question_of_a_way_is_a_key_it_takes",),
    ),
    Mutant(
        "configure-region-unchecked",
        "if not region or not user_pool or user_pool.group(1) == region:",
        "if True:",
        (
            "tests/test_configure_questions.py::test_a_region_that_disagrees_with_the_pools_is_refused",
            "tests/test_configure_ways.py::test_the_region_against_the_user_pool_id",
        ),
    ),
    Mutant(
        "configure-unreachable-domain-taken-for-a-refusal",
        "    except ServiceUnreachable as exc:\n        raise ServiceUnreachable(",
        "    except ValueError as exc:\n        raise ServiceUnreachable(",
        (
            "tests/test_configure_questions.py::test_an_unreachable_login_domain_is_reported_unreachable",
        ),
    ),
    Mutant(
        "configure-callback-fix-not-logins",
        "exc.message, profile=profile.name, hint=exc.hint, setting=exc.setting",
        "exc.message, profile=profile.name, hint=None, setting=exc.setting",
        (
            "tests/test_configure_questions.py::test_an_unregistered_callback_url_gets_the_fix_login_gives",
        ),
    ),
    # -- console's sign-in link ---------------------------------------------------------
    Mutant(
        "console-link-on-the-browsers-command-line",
        "        launch = open_browser(handoff.start_url, ctx.environ)",
        "        launch = open_browser(url, ctx.environ)",
        (
            "tests/security/test_console_link.py::"
            "test_another_user_reading_the_process_table_cannot_take_the_console_link",
        ),
    ),
    Mutant(
        "console-link-works-twice",
        "            target, self._target = self._target, None",
        "            target = self._target",
        ("tests/security/test_console_link.py::test_the_address_leads_to_the_target_once",),
    ),
    # -- the loopback servers under a flood of another user ------------------------------
    Mutant(
        "loopback-unknown-peer-trusted-on-linux",
        "        if current().knows_loopback_peers:",
        "        if False:",
        (
            "tests/security/test_loopback_floods.py::"
            "test_who_connects_unknown_where_the_kernel_should_say_is_not_trusted",
        ),
    ),
    Mutant(
        "loopback-no-limit-on-waiting-connections",
        "            while len(self._waiting) >= MAX_WAITING:",
        "            while False:",
        (
            "tests/security/test_loopback_floods.py::"
            "test_a_flood_of_half_requests_costs_no_threads_and_the_browser_gets_through",
        ),
    ),
    Mutant(
        "loopback-other-users-connections-kept",
        "            ok = self.peer_check(request.getsockname()[:2], client_address[:2])",
        "            ok = True",
        (
            "tests/security/test_loopback_floods.py::test_a_connection_of_another_user_is_closed_as_it_is_accepted",
            "tests/security/test_console_link.py::"
            "test_another_users_request_is_refused_and_leaves_the_address_for_the_browser",
        ),
    ),
    Mutant(
        "aws-config-others-may-write-read",
        "            if problem is not None:\n                raise ForeignFile(path, problem)",
        "            if False:\n                raise ForeignFile(path, problem)",
        ("tests/security/test_linked_aws_config.py::test_a_file_others_may_write_is_not_built_on",),
    ),
    Mutant(
        "loopback-owner-read-from-the-tables-always",
        "        return diag_owner(server, client)\n    except OSError as exc:",
        "        raise OSError(0, 'planted')\n    except OSError as exc:",
        (
            "tests/security/test_loopback_floods.py::"
            "test_who_connects_is_asked_of_the_kernel_by_address_not_read_from_the_tables",
        ),
    ),
]

# -- the machinery -----------------------------------------------------------------------


SKIPPED = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build", "dist")


def copy_repository(target: Path) -> None:
    """The working tree as git sees it (tracked and new files, nothing ignored); outside
    a git checkout (an unpacked sdist), everything but caches and virtualenvs."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.split(b"\0")
    except (OSError, subprocess.CalledProcessError):
        shutil.copytree(ROOT, target, ignore=SKIPPED, symlinks=True)
        return
    for raw in listed:
        if not raw:
            continue
        source = ROOT / os.fsdecode(raw)
        if not source.is_file():  # deleted in the working tree
            continue
        destination = target / os.fsdecode(raw)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)


def locate(copy: Path, snippet: str) -> tuple[Path | None, int]:
    """The one file of the package holding the snippet, and how often it occurs in all."""
    found: list[Path] = []
    total = 0
    for path in sorted((copy / PACKAGE).rglob("*.py")):
        count = path.read_text(encoding="utf-8").count(snippet)
        total += count
        if count:
            found.append(path)
    return (found[0] if total == 1 else None), total


def pytest_env(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The copy's package, not the installed one, in this process and every child the
    # tests start (they keep PYTHONPATH); nothing written next to the sources.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(copy), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_tests(copy: Path, tests: tuple[str, ...]) -> tuple[int, float, str]:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            cwd=copy,
            env=pytest_env(copy),
            capture_output=True,
            text=True,
            timeout=TEST_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return -1, time.monotonic() - started, "timed out"
    last = (done.stdout.strip().splitlines() or [""])[-1]
    return done.returncode, time.monotonic() - started, last


def check_imports_come_from(copy: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
        cwd=copy,
        env=pytest_env(copy),
        capture_output=True,
        text=True,
        check=True,
    )
    where = Path(done.stdout.strip()).resolve()
    if copy.resolve() not in where.parents:
        sys.exit(f"the tests would import {PACKAGE} from {where}, not from the copy")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-k",
        metavar="TEXT",
        action="append",
        help="only mutants whose name contains TEXT (repeat -k for any of several)",
    )
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.k or any(k in m.name for k in args.k)]
    if not chosen:
        print(f"no mutant matches {' or '.join(args.k)!r}")
        return 1
    names = [m.name for m in MUTANTS]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        print(f"mutant names must be unique: {', '.join(sorted(duplicates))}")
        return 1

    with tempfile.TemporaryDirectory(prefix="mutants-") as scratch:
        copy = Path(scratch) / "repo"
        copy_repository(copy)
        if args.list:
            for mutant in chosen:
                path, count = locate(copy, mutant.snippet)
                where = path.relative_to(copy) if path else f"found {count} times"
                print(f"{mutant.name:45} {where}")
            return 0
        check_imports_come_from(copy)

        every_test = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
        code, seconds, last = run_tests(copy, every_test)
        if code != 0:
            print(f"the named tests fail without any mutant ({last}); fix that first")
            return 2
        print(f"baseline: the named tests pass unmutated ({seconds:.0f} s)")

        killed: list[str] = []
        survived: list[str] = []
        broken: list[str] = []
        for mutant in chosen:
            path, count = locate(copy, mutant.snippet)
            if path is None:
                print(f"ERROR    {mutant.name}: snippet found {count} times in {PACKAGE}/")
                broken.append(mutant.name)
                continue
            original = path.read_text(encoding="utf-8")
            path.write_text(original.replace(mutant.snippet, mutant.replacement), "utf-8")
            try:
                code, seconds, last = run_tests(copy, mutant.tests)
            finally:
                path.write_text(original, encoding="utf-8")
            where = path.relative_to(copy)
            # pytest: 1 = tests failed, 2 = interrupted (e.g. a collection error); a
            # timeout also means the tests did not pass. 3-5: the run itself is wrong.
            if code in (1, 2, -1):
                print(f"killed   {mutant.name} ({where}, {seconds:.0f} s)")
                killed.append(mutant.name)
            elif code == 0:
                print(f"SURVIVED {mutant.name} ({where}): {last}")
                survived.append(mutant.name)
            else:
                print(f"ERROR    {mutant.name}: pytest exit {code}: {last}")
                broken.append(mutant.name)

    print(
        f"mutants: {len(chosen)}, killed: {len(killed)}, survived: {len(survived)}, "
        f"errors: {len(broken)}"
    )
    return 1 if survived or broken else 0


if __name__ == "__main__":
    sys.exit(main())
