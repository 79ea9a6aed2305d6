"""The safety policy: its spec (:mod:`.spec`), its schema check (:mod:`.schema`) and its
renderings into teacher, judge and brief text (:mod:`.render`)."""

from saro.policy.spec import RENDER_KINDS, Category, Policy, Trigger

__all__ = ["RENDER_KINDS", "Category", "Policy", "Trigger"]
