"""Every figure Composer Assist draws (PNG, matplotlib without pyplot): the one place matplotlib is imported."""
