"""The quality gate: đúng, đủ, sạch, sống checks run with Great Expectations, a scorecard, a verdict.

GX is imported only inside these functions' callers' tasks, never at DAG parse time.
"""
