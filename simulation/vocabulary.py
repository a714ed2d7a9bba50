"""The shared vocabulary of scenarios, services and tariffs: segment names and tariff kinds.

It sits below the scenario schema, the services and the tariffs, which all use it, so none of
them has to import another for a name.
"""

SEGMENT_NAMES = ("household", "industrial", "commercial", "agricultural", "microgrid")
TARIFF_KINDS = ("flat", "tou", "cpp", "rtp")
