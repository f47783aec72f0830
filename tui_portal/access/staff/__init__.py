"""The support staff console: look a customer up, act for them in the portal, audit every change.

    tui-portal staff [--staff-name NAME] [--audit-log PATH]          (sandbox, or --api-base + key)

- `connection.py`  StaffConnection: settings -> clients (plain for look-ups; audited per customer)
- `audit.py`       AuditLog (JSON lines, fsync per line, `tui_portal.audit` logger), AuditingTransport
- `audit_chain.py` the log's hash chain: locked append from the tail, `verify_audit_log`
- `directory.py`   find customers by email / name / id
- `churn.py`       the churn report (cancellation reasons by month, retention offers made/accepted)
- `app.py`         StaffApp (a PortalApp that starts on the customer search)
- `search_screen.py`, `churn_screen.py`, `banner.py`  the console's own screens and the banner
"""
