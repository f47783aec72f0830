"""Pure rules: what a plan change may offer, what typed input is valid, what a session may do on its machine."""
