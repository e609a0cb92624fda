"""The two parts of `sam deploy` that only Python has, for `npm run rehearse`.

  sam_translate.py samconfig <samconfig.toml> <config-env>
      prints the deploy settings of that config env (stack name, parameter overrides, capabilities,
      tags, s3 prefix) as JSON, read with tomllib and split as the SAM CLI splits them.
  sam_translate.py translate <region> '<parameter values as JSON>'  < template.json
      prints the template translated by aws-sam-translator, the code CloudFormation runs for
      `Transform: AWS::Serverless-2016-10-31`.
  sam_translate.py zip <archive.zip> <file>...
      writes the files, flat, into a zip with fixed timestamps (the same bytes for the same code),
      as `sam package` uploads a function's build directory.
  sam_translate.py unzip <archive.zip> <directory>
      unpacks a deployed function's code, as Lambda does into its task root.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tomllib
import zipfile
from typing import Any


def key_values(text: str) -> dict[str, str]:
    """`A="x" B="y z"` as the SAM CLI reads parameter_overrides and tags."""
    pairs = {}
    for item in shlex.split(text or ""):
        key, _, value = item.partition("=")
        pairs[key] = value
    return pairs


def samconfig(path: str, config_env: str) -> dict[str, Any]:
    with open(path, "rb") as file:
        config = tomllib.load(file)
    if config_env not in config:
        raise SystemExit(f"{path} has no config env [{config_env}]")
    section = config[config_env]
    deploy = {**section.get("global", {}).get("parameters", {}), **section.get("deploy", {}).get("parameters", {})}
    capabilities = deploy.get("capabilities", [])
    return {
        "stackName": deploy.get("stack_name"),
        "parameterOverrides": key_values(deploy.get("parameter_overrides", "")),
        "capabilities": capabilities.split() if isinstance(capabilities, str) else capabilities,
        "tags": key_values(deploy.get("tags", "")),
        "s3Prefix": deploy.get("s3_prefix", ""),
    }


class NoManagedPolicyNames:
    """Parcelcast names no managed policy by name; ARNs pass through the translator untouched."""

    def load(self) -> dict[str, str]:
        return {}


def translate(template: dict[str, Any], region: str, parameters: dict[str, Any]) -> dict[str, Any]:
    # The translator builds ARNs for the region it is told through the environment, as in CloudFormation.
    os.environ["AWS_DEFAULT_REGION"] = region
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform

    try:
        return transform(template, parameters, NoManagedPolicyNames())
    except InvalidDocumentException as error:
        raise SystemExit("SAM translation failed: " + "; ".join(cause.message for cause in error.causes)) from None


def write_zip(archive: str, files: list[str]) -> dict[str, Any]:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as output:
        for path in files:
            entry = zipfile.ZipInfo(os.path.basename(path), date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            with open(path, "rb") as file:
                output.writestr(entry, file.read(), compress_type=zipfile.ZIP_DEFLATED)
    return {"archive": archive, "bytes": os.path.getsize(archive)}


def main(argv: list[str]) -> None:
    if len(argv) == 3 and argv[0] == "samconfig":
        result = samconfig(argv[1], argv[2])
    elif len(argv) == 3 and argv[0] == "translate":
        result = translate(json.load(sys.stdin), argv[1], json.loads(argv[2]))
    elif len(argv) >= 3 and argv[0] == "zip":
        result = write_zip(argv[1], argv[2:])
    elif len(argv) == 3 and argv[0] == "unzip":
        with zipfile.ZipFile(argv[1]) as archive:
            archive.extractall(argv[2])
            result = {"files": archive.namelist()}
    else:
        raise SystemExit(__doc__)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
