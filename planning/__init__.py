"""The pure rules of *when*: the board's calendar and the reminder planner.

No database session, no platform, no clock: each function is handed the board's facts and the
time. The use-cases (``handlers``) and the scheduler both build on it, so it sits below both.
"""
