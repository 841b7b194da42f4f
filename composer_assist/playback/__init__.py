"""What a player needs, for offline renders and real time alike: the cue clock and tempo map, fade
curves, the stem set, the block mixer, the policy, the scheduler and the player with its command
queues and status.  Imports numpy and ``core`` only (no Qt, DawDreamer or audio device)."""
