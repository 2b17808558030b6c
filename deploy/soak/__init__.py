"""`make soak` (`python -m deploy.soak`): minutes of random faults while council offices keep
recording meetings over HTTP, then proof that nothing was lost and nothing counted twice.

It starts its own private stack (noida-db and mongod on free loopback ports, in a temporary
directory) and the meetings and reporting services as separate processes, then, while
writers post meetings at a steady rate (retrying each with its own meeting_id until the
service says it has it, as a careful client does), it injects a random fault every few
seconds: SIGKILL of a service process, a broker restart, a mongod restart, duplicate
publishes (the relay made to send rows again, or raw copies of outbox rows), and poison
messages. At the end it lets everything drain and checks the invariants:

- every write a client saw accepted is stored, nothing is stored that was not sent, and the
  outbox holds exactly one event per stored write, all of them relayed;
- the projection equals, document by document, the events accepted folded from scratch;
- the province's figures over the HTTP API equal the plain count of the stored meetings;
- on the topic, each unit's events come in sequence order (copies only after originals);
- every poison message reached the dead-letter topic; no process died on its own.

Exit status 0 when all hold, 1 when one does not (the work directory is kept for its logs).
"""

from deploy.soak.common import end_offsets, random_meeting, read_topic, restartable_port

__all__ = ["end_offsets", "random_meeting", "read_topic", "restartable_port"]
