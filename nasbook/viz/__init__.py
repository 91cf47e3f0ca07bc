"""What a learner sees: static plots (:mod:`.plots`) and interactive widgets (:mod:`.widgets`)."""
