"""The security log (docs/security.md, "Security log"): the security events of the audit trail, read
by hall leads for their hall and by the audit administrator. Apart from hallplatform.audit because it
needs the roles (hallplatform.accounts), which themselves write to the audit trail."""
