"""The dashboard's forms. Every one is a Flask-WTF form, so every POST carries a CSRF token.

Validation here is about shape (required, lengths, choices); the services validate meaning
(a model id the hub accepts, a known country, a waiver that does not expire in the past) and
their one-line errors are shown next to the form.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from compliance.check import MARKETS

SEVERITIES = ("info", "low", "medium", "high", "critical")
# Revenue bands the check form offers, as declared intervals: the rules compare revenue with
# $500 million ("more than"), so each band lies wholly on one side of it.
REVENUE_BANDS = {
    "under": ("under $500 million", "0..5e8"),
    "over": ("more than $500 million", "500000001..1e13"),
}
ROLES = ("viewer", "submitter", "reviewer", "admin")


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Select options from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of labelled check boxes (keyboard friendly)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()


def declarer(email: str) -> str:
    """How a dashboard user appears in the evidence of the facts they declare."""
    return f"{email} in the dashboard"


class DeploymentQuestions(FlaskForm):
    """The questions about a release the rules need and only people know, each with a stated default."""

    markets = MultiCheckboxField(
        "Markets",
        choices=choices((m, m) for m in MARKETS),
        description="None ticked (the default): every market, so each market's rules apply",
    )
    public_service_cn = SelectField(
        "Offered to the public in China",
        choices=choices([("no", "no (default)"), ("yes", "yes"), ("", "not known")]),
        default="no",
        description="Default no: published weights or in-house use are not a public service. "
        "Yes for a chat, app or API open to the public in mainland China.",
    )
    open_weights = SelectField(
        "Weights published",
        choices=choices([("", "as the hub shows (default)"), ("yes", "yes"), ("no", "no")]),
        description="Default: as the hub shows; a public repository with weight files counts as published.",
    )
    revenue = SelectField(
        "Developer's annual revenue",
        choices=choices(
            [("under", f"{REVENUE_BANDS['under'][0]} (default)"), ("over", REVENUE_BANDS["over"][0]), ("", "not known")]
        ),
        default="under",
        description="Default under $500 million (with affiliates). It matters only above 1e26 FLOP "
        "(California SB 53, New York RAISE).",
    )
    destination = StringField("Destination country", validators=[Optional(), Length(max=100)],
                              description="ISO code or name, e.g. AE or China. Empty (the default): no export "
                              "destination")  # fmt: skip

    def deployment_options(self, email: str) -> dict[str, Any]:
        """The answers as check options; the public service in China and the revenue band are
        declared facts, with ``email`` (the person answering) as their evidence."""
        options: dict[str, Any] = {}
        if self.markets.data:
            options["markets"] = list(self.markets.data)
        if self.destination.data:
            options["destination"] = self.destination.data.strip()
        if self.open_weights.data in ("yes", "no"):
            options["open_weights"] = self.open_weights.data == "yes"
        facts: dict[str, Any] = {}
        if self.public_service_cn.data in ("yes", "no"):
            facts["public_service_cn"] = self.public_service_cn.data == "yes"
        if self.revenue.data in REVENUE_BANDS:
            facts["developer_revenue_usd"] = REVENUE_BANDS[self.revenue.data][1]
        if facts:
            options["facts"] = facts
            options["declared_by"] = dict.fromkeys(facts, declarer(email))
        return options


class CheckForm(DeploymentQuestions):
    """Queue a check of a hub model."""

    model_id = StringField("Model ID", validators=[DataRequired(), Length(max=200)],
                           description="ORG/NAME as on the hub, e.g. meta-llama/Llama-3.1-8B")  # fmt: skip
    revision = StringField("Revision", validators=[Optional(), Length(max=255)],
                           description="A branch, tag or commit; empty for the default branch")  # fmt: skip
    hardware = SelectField("Target hardware", choices=choices([("", "none")]), validate_choice=True,
                           description="None (the default): no chips go with the model")  # fmt: skip
    hardware_count = IntegerField("How many", validators=[Optional(), NumberRange(min=1, max=10_000_000)])
    rules = MultiCheckboxField("Rule sets", description="None ticked: every rule set")
    fail_on = SelectField("Fail on severity", choices=choices((s, s) for s in SEVERITIES), default="high")
    as_of = DateField("Law as of", validators=[Optional()], description="Empty: today")


class HardwareQuestionForm(FlaskForm):
    """Which chip rules does shipping these accelerators to a country trigger? (No model, nothing stored.)"""

    chip = SelectField("Accelerator", validators=[DataRequired()], validate_choice=True)
    count = IntegerField("How many", default=1, validators=[DataRequired(), NumberRange(min=1, max=10_000_000)])
    destination = StringField("Destination country", validators=[DataRequired(), Length(max=100)],
                              description="ISO code or name, e.g. CN or United Arab Emirates")  # fmt: skip
    as_of = DateField("Law as of", validators=[Optional()], description="Empty: today")


class WaiverForm(FlaskForm):
    """Accept a rule's finding for models matching a pattern, until a date."""

    rule_id = SelectField("Rule", validators=[DataRequired()])
    model_pattern = StringField("Models", validators=[DataRequired(), Length(max=200)],
                                description="A model id or a pattern such as acme/*")  # fmt: skip
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=2000)])
    owner = StringField("Owner", validators=[DataRequired(), Length(max=200)])
    expires = DateField("Expires", validators=[DataRequired()], description="The last day the waiver holds")


class TargetForm(DeploymentQuestions):
    """Something to watch on the hub, scanned daily (its models checked with the answers given)."""

    name = StringField("Name", validators=[Optional(), Length(max=200)])
    kind = SelectField("Kind", choices=choices([("author", "author or organisation"), ("search", "hub search"),
                                                ("models", "list of model ids")]))  # fmt: skip
    value = TextAreaField("Value", validators=[DataRequired(), Length(max=200_000)],
                          description="The author, the search text, or model ids one per line")  # fmt: skip
    schedule = BooleanField("Scan daily", default=True)


class TokenForm(FlaskForm):
    """An API token for CI."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)], description="e.g. release pipeline")
    role = SelectField("Role", choices=choices((r, r) for r in ROLES), default="submitter")
