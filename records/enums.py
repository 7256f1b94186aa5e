from core.jobs import JobState

# An event record's PDF goes through the one PDF job lifecycle (core.jobs): its states are the job's.
RecordState = JobState
