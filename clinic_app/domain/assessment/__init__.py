"""The live assessment: rules R0-R14 of clinical-reference.md section 4 over the typed exam.

Import the parts directly (``assessment.rules.assess``, ``assessment.model.Assessment``); this
package module stays empty so ``domain.encounter`` can use ``assessment.record`` without a cycle.
"""
