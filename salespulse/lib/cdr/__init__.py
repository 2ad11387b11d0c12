"""Call detail records: from PBX rows to call legs, from legs to calls, from calls to KPIs.

Plain Python, no Django. One idea per module:

- `layouts`: the column layouts of PBX files and recognising them (`detect`);
- `reading`: table rows -> `Leg`s or `Rejected` rows, and a row's identity;
- `parties`: who is on a leg (our seller, an outside number or trunk) and the direction;
- `counting`: a seller's legs on a local day -> calls, answered calls, conversations, talk;
- `queuelog`: Asterisk's queue_log, which says who answered a queue call and for how long.
"""

from salespulse.lib.cdr.counting import (
    DIRECTIONS,
    SERVICE,
    DayFigures,
    FactLeg,
    counted,
    day_figures,
    sales_call,
    talk_union,
)
from salespulse.lib.cdr.layouts import (
    ASTERISK_LAYOUTS,
    FORMATS,
    FREEPBX_LAYOUTS,
    MAPPING_FIELDS,
    STOCK_TEMPLATES,
    Layout,
    detect,
    parse_template,
)
from salespulse.lib.cdr.parties import (
    DEFAULT_OUTSIDE_CONTEXTS,
    Attribution,
    Lookup,
    Outside,
    attribute,
    channel_peer,
    outside_number,
    phone_key,
    service_leg,
    split_list,
)
from salespulse.lib.cdr.reading import (
    EARLIEST,
    MAX_DURATION,
    Leg,
    LegReader,
    Rejected,
    hashed_id,
    row_hash,
)

__all__ = [
    "ASTERISK_LAYOUTS",
    "DEFAULT_OUTSIDE_CONTEXTS",
    "DIRECTIONS",
    "EARLIEST",
    "FORMATS",
    "FREEPBX_LAYOUTS",
    "MAPPING_FIELDS",
    "MAX_DURATION",
    "SERVICE",
    "STOCK_TEMPLATES",
    "Attribution",
    "DayFigures",
    "FactLeg",
    "Layout",
    "Leg",
    "LegReader",
    "Lookup",
    "Outside",
    "Rejected",
    "attribute",
    "channel_peer",
    "counted",
    "day_figures",
    "detect",
    "hashed_id",
    "outside_number",
    "parse_template",
    "phone_key",
    "row_hash",
    "sales_call",
    "service_leg",
    "split_list",
    "talk_union",
]
