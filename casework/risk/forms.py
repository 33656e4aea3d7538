"""Page forms for risk assessments (built from the questionnaire version in force) and its editing."""

from __future__ import annotations

from typing import Any

from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from casework.core.forms import FlaskForm, GovukDateField, ReadVersionMixin
from casework.core.inputs import is_digits, whole_number
from casework.interventions.forms import required_choice

QUESTION_PREFIX = "q_"


def assessment_form(questionnaire: Any, victims: list[tuple[int, str]], formdata: Any = None) -> FlaskForm:
    """A form with one set of GOV.UK radios per question, in the questionnaire's order."""

    class AssessmentForm(FlaskForm):
        victim_person_id = RadioField(
            "Who is this assessment for?",
            choices=[SelectChoice("", "The case as a whole")] + [SelectChoice(str(pid), name) for pid, name in victims],
            validate_choice=False,
            default="",
        )
        assessed_on = GovukDateField("Date of the assessment", required=True, description="For example, 27 3 2026")

    for question in questionnaire.questions:
        values = [o["value"] for o in question["options"]]
        setattr(
            AssessmentForm,
            QUESTION_PREFIX + question["key"],
            RadioField(
                question["text"],
                description=question.get("hint") or None,
                choices=[SelectChoice(o["value"], o["label"]) for o in question["options"]],
                validate_choice=False,
                validators=[required_choice(f"Answer: {question['text']}", values)],
            ),
        )
    AssessmentForm.notes = TextAreaField("Notes (optional)", validators=[Length(max=10_000)])
    return AssessmentForm(formdata=formdata) if formdata is not None else AssessmentForm()


def answers_from(form: Any, questionnaire: Any) -> dict[str, str]:
    return {q["key"]: form[QUESTION_PREFIX + q["key"]].data for q in questionnaire.questions}


class QuestionnaireForm(ReadVersionMixin, FlaskForm):
    """Title and cut-offs; the questions' fields are read from the request (their number varies)."""

    title = StringField("Title", validators=[DataRequired("Enter a title"), Length(max=200)])
    medium_from = StringField("Medium risk from a score of", validators=[DataRequired("Enter a score"), Length(max=4)])
    high_from = StringField("High risk from a score of", validators=[DataRequired("Enter a score"), Length(max=4)])


def questions_from_request(form: Any, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The edited questions: text, hint, each answer's weight and forces-high flag; removals; one new
    yes/no question. Keys and answer values stay as they were, so history stays comparable."""
    edited: list[dict[str, Any]] = []
    for index, question in enumerate(current):
        prefix = f"question-{index}"
        if form.get(f"{prefix}-remove"):
            continue
        options = []
        for number, option in enumerate(question["options"]):
            raw_weight = (form.get(f"{prefix}-option-{number}-weight") or "").strip()
            options.append(
                {
                    **option,
                    "weight": whole_number(raw_weight) if is_digits(raw_weight) else raw_weight,
                    "forces_high": bool(form.get(f"{prefix}-option-{number}-forces-high")),
                }
            )
        edited.append(
            {
                "key": question["key"],
                "text": (form.get(f"{prefix}-text") or "").strip(),
                "hint": (form.get(f"{prefix}-hint") or "").strip() or None,
                "options": options,
            }
        )
    new_text = (form.get("new-text") or "").strip()
    if new_text:
        raw_weight = (form.get("new-weight") or "").strip()
        existing = {q["key"] for q in current}
        number = len(current) + 1
        while f"question_{number}" in existing:
            number += 1
        edited.append(
            {
                "key": f"question_{number}",
                "text": new_text,
                "hint": None,
                "options": [
                    {
                        "value": "yes",
                        "label": "Yes",
                        "weight": whole_number(raw_weight) if is_digits(raw_weight) else raw_weight,
                        "forces_high": bool(form.get("new-forces-high")),
                    },
                    {"value": "no", "label": "No", "weight": 0, "forces_high": False},
                ],
            }
        )
    return edited
