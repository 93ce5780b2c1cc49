"""examples/cloudformation.yaml: what the README's AWS setup for the default (password,
SRP) sign-in relies on, checked by cfn-lint and by its structure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "examples" / "cloudformation.yaml"


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    """YAML with CloudFormation's short forms (!Ref X -> {"Ref": "X"}, ...)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = loader.construct_mapping(node)
    return {name: value}


_Loader.add_multi_constructor("!", _tag)


def template(text: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = yaml.load(text or TEMPLATE.read_text(), Loader=_Loader)  # noqa: S506
    return data


def problems(data: dict[str, Any]) -> list[str]:
    """What keeps the template from giving a working default sign-in."""
    found = []
    resources = data["Resources"]
    by_type: dict[str, list[str]] = {}
    for name, resource in resources.items():
        by_type.setdefault(resource["Type"], []).append(name)
    wanted = {
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::IdentityPool",
        "AWS::IAM::Role",
        "AWS::Cognito::IdentityPoolRoleAttachment",
    }
    if set(by_type) != wanted or any(len(names) != 1 for names in by_type.values()):
        return [f"resource types {sorted(by_type)}"]
    ((pool,), (client,), (ids,), (role,), (attachment,)) = (
        by_type[kind]
        for kind in (
            "AWS::Cognito::UserPool",
            "AWS::Cognito::UserPoolClient",
            "AWS::Cognito::IdentityPool",
            "AWS::IAM::Role",
            "AWS::Cognito::IdentityPoolRoleAttachment",
        )
    )
    props = {name: resources[name]["Properties"] for name in resources}
    if props[client]["UserPoolId"] != {"Ref": pool}:
        found.append("the client is not the pool's")
    flows = set(props[client].get("ExplicitAuthFlows", []))
    if not {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= flows:
        found.append(f"client flows {sorted(flows)}")
    if props[client].get("GenerateSecret", False):
        found.append("the client has a secret")
    (provider,) = props[ids]["CognitoIdentityProviders"]
    if provider["ProviderName"] != {"Fn::GetAtt": [pool, "ProviderName"]}:
        found.append(f"identity pool provider {provider['ProviderName']}")
    if provider["ClientId"] != {"Ref": client}:
        found.append("identity pool trusts another client")
    if props[ids].get("AllowUnauthenticatedIdentities") is not False:
        found.append("guests allowed")
    (statement,) = props[role]["AssumeRolePolicyDocument"]["Statement"]
    if statement["Effect"] != "Allow" or statement["Principal"] != {
        "Federated": "cognito-identity.amazonaws.com"
    }:
        found.append("trust principal")
    actions = statement["Action"]
    if "sts:AssumeRoleWithWebIdentity" not in (actions if isinstance(actions, list) else [actions]):
        found.append("trust action")
    condition = statement.get("Condition", {})
    aud = condition.get("StringEquals", {}).get("cognito-identity.amazonaws.com:aud")
    if aud != {"Ref": ids}:
        found.append(f"trust aud {aud}")
    amr = condition.get("ForAnyValue:StringLike", {}).get("cognito-identity.amazonaws.com:amr")
    if amr != "authenticated":
        found.append(f"trust amr {amr}")
    roles = props[attachment]
    if roles["IdentityPoolId"] != {"Ref": ids} or roles["Roles"] != {
        "authenticated": {"Fn::GetAtt": [role, "Arn"]}
    }:
        found.append("role attachment")
    return found


def test_the_template_sets_up_the_default_sign_in() -> None:
    assert problems(template()) == []


@pytest.mark.parametrize(
    ("good", "bad", "problem"),
    [
        ("        - ALLOW_USER_SRP_AUTH\n", "", "client flows"),
        (
            'cognito-identity.amazonaws.com:aud": !Ref IdentityPool',
            'cognito-identity.amazonaws.com:aud": !Ref UserPool',
            "trust aud",
        ),
        ('amr": authenticated', 'amr": unauthenticated', "trust amr"),
        ("!GetAtt UserPool.ProviderName", "!GetAtt UserPool.Arn", "identity pool provider"),
        ("AllowUnauthenticatedIdentities: false", "AllowUnauthenticatedIdentities: true", "guests"),
    ],
)
def test_the_structural_check_sees_a_planted_mistake(good: str, bad: str, problem: str) -> None:
    text = TEMPLATE.read_text()
    assert text.count(good) == 1
    found = problems(template(text.replace(good, bad)))
    assert any(p.startswith(problem) for p in found), found


def lint(path: Path) -> list[str]:
    """cfn-lint's findings (warnings and errors), as its command line reports them."""
    api = pytest.importorskip("cfnlint.api", reason="cfn-lint is a test dependency")
    return [str(match) for match in api.lint_file(path)]


def test_cfn_lint_accepts_the_template() -> None:
    assert lint(TEMPLATE) == []


def test_cfn_lint_sees_a_broken_template(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(TEMPLATE.read_text().replace("ExplicitAuthFlows:", "ExplicitAuthFlow:"))
    found = lint(broken)
    assert any("ExplicitAuthFlow" in finding for finding in found), found
