"""What people read about a fake's run: the transcript (:mod:`.transcript`) and strict mode's
verdict (:mod:`.strict`).
"""
