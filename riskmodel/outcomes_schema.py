"""The shape of an outcomes file (``schema: riskmodel-outcomes/1``): pydantic models and the JSON Schema.

The file is read and checked by :func:`riskmodel.outcomes.load_outcomes`,
which validates each part against these models and reports what they refuse
at the file's line and key; :func:`json_schema` exports them for editor
completion (``riskmodel schema --outcomes``). The contract's keys live here
alone, as the registry's live in :mod:`riskmodel.registry_schema`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from .schema import MONTH_PATTERN, CiteModel

__all__ = ["OUTCOMES_SCHEMA_ID", "OutcomesModel", "BinaryObservationModel", "NumericObservationModel",
           "MeasurementErrorModel", "json_schema"]

#: The ``schema`` line an outcomes file carries.
OUTCOMES_SCHEMA_ID = "riskmodel-outcomes/1"

_URL_PATTERN = r"^https?://\S+$"
MonthStr = Annotated[str, Field(pattern=MONTH_PATTERN, description="A calendar month, YYYY-MM.", examples=["2024-09"])]
Url = Annotated[str, Field(pattern=_URL_PATTERN, description="An http(s):// address where the observation is stated.")]
Probability = Annotated[float, Field(gt=0, lt=1)]


# --------------------------------------------------------------------------- the file's shape (pydantic)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class BinaryObservationModel(_Strict):
    """Whether a risk of the scenario happened."""

    risk: str = Field(description="A risk id of the scenario.")
    happened: bool = Field(description="true if the risk's event happened, false if not.")
    date: MonthStr = Field(description="When it was observed, YYYY-MM.")
    cite: list[CiteModel] = Field(default_factory=list, description="Passages of registered sources that state it.")
    url: Optional[Url] = Field(None, description="Where it is stated, when no registered source holds it.")
    note: str = Field("", description="Where in the url the fact stands, or any remark (required with url).")


class MeasurementErrorModel(_Strict):
    """How far an observed figure may lie from the true value (for ``riskmodel update``)."""

    sd: Optional[Annotated[float, Field(gt=0)]] = Field(
        None, description="Normal error: the observed value is the true one plus a normal error of this sd.")
    relative: Optional[Annotated[float, Field(gt=0)]] = Field(
        None, description="Lognormal error: log(observed) is log(true) plus a normal error of this sd "
                          "(0.1 is about 10%).")


class NumericObservationModel(_Strict):
    """The observed value of an output of the scenario, or of a state in a month."""

    output: Optional[str] = Field(None, description="An output name of the scenario.")
    state: Optional[str] = Field(None, description="A state name of the scenario (its value in the month `date`).")
    error: Optional[MeasurementErrorModel] = Field(
        None, description="Measurement error, `{sd: x}` or `{relative: r}`: needed by `riskmodel update`.")
    value: float = Field(allow_inf_nan=False, description="The value observed, in the output's unit.")
    date: Optional[MonthStr] = Field(None, description="When it was observed, YYYY-MM.")
    cite: list[CiteModel] = Field(default_factory=list, description="Passages of registered sources that state it.")
    url: Optional[Url] = Field(None, description="Where it is stated, when no registered source holds it.")
    note: str = Field("", description="Where in the url the figure stands, or any remark (required with url).")


class OutcomesModel(_Strict):
    """An outcomes file (schema riskmodel-outcomes/1): what happened, to score a scenario against."""

    schema_: Literal["riskmodel-outcomes/1"] = Field(alias="schema")
    scenario: str = Field(description="The scenario file these outcomes score, relative to this file.")
    sources: Optional[str] = Field(None, description="Source registry, relative to this file (for `cite`).")
    title: str = ""
    description: str = ""
    climatology: dict[str, Probability] = Field(
        default_factory=dict,
        description="Base-rate probability per risk id, strictly between 0 and 1: the reference forecast.")
    observations: list[Union[BinaryObservationModel, NumericObservationModel]] = Field(
        description="Binary observations name a `risk`; numeric ones an `output` or a `state`.")


class _Header(OutcomesModel):
    """The file without its observations (they are checked one by one, by kind)."""

    observations: list[Any]


_BINARY_KEYS = tuple(f.alias or n for n, f in BinaryObservationModel.model_fields.items())
_NUMERIC_KEYS = tuple(f.alias or n for n, f in NumericObservationModel.model_fields.items())
_CITE_KEYS = ("source", "quote")
_TOP_KEYS = tuple(f.alias or n for n, f in OutcomesModel.model_fields.items())


def json_schema() -> str:
    """The JSON Schema of outcomes files, as indented JSON text."""
    schema = OutcomesModel.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://riskmodel.invalid/schema/riskmodel-outcomes-1.json"
    return json.dumps(schema, indent=2)
