#!/usr/bin/python
"""Test stand-in for ansible.windows.win_powershell on a Linux controller: returns the
script it was given, untouched, so a test can see what Ansible passed (and that it did not
template it). Used only by tests/unit/test_remediation_playbook.py."""

from ansible.module_utils.basic import AnsibleModule


def main() -> None:
    module = AnsibleModule(argument_spec={"script": {"type": "str", "required": True},
                                          "error_action": {"type": "str"}})
    module.exit_json(changed=False, script=module.params["script"])


if __name__ == "__main__":
    main()
