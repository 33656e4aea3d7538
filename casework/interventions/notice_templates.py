"""The default text of the notices the service produces, with what the 2014 Act says each must carry.

One line per paragraph, a blank line between paragraphs, ``## `` before a heading: the layout wraps
them to the page (casework.documents.layout). Admins may replace any of them for every area or one area
(casework.interventions.notices); a replacement is checked before it is saved.

- Community Protection Warning (s.43(5)(a)): that a notice will be issued unless the conduct stops having
  its effect, and the period to deal with it. There is no appeal against a warning.
- Community Protection Notice (ss.43 and 46 to 52): the conduct, the requirements and the period to
  comply, the right of appeal to a magistrates' court within 21 days beginning with the day of issue
  (and what stays in force meanwhile), and that failing to comply is an offence, with the fixed
  penalty, remedial action, forfeiture and seizure that may follow.
- Fixed penalty notice (ss.52 and 68): particulars of the offence, the period of 14 days during which
  no proceedings are taken, the amount (and any discount for paying early), who to pay and how.
- Closure notice (s.76): the premises, the effect of the notice and who it does not exclude, that
  failing to comply is an offence, that a closure order will be applied for and when and where the
  application will be heard, what a closure order does, and where to get advice on housing and legal
  matters.
"""

from __future__ import annotations

_SIGNATURE = """\
Signed: {{ issuer.officer }}, {{ issuer.agency }}{% if issuer.authorised_by %}. Authorised by {{ issuer.authorised_by }}{% endif %}."""

TITLES = {
    "cpw": "Community Protection Warning",
    "cpn": "Community Protection Notice",
    "fpn": "Fixed Penalty Notice",
    "closure_notice": "Closure Notice",
}

DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "cpw": (
        "Community Protection Warning",
        """\
To {{ recipient.name }}

This is a Community Protection Warning under section 43 of the Anti-social Behaviour, Crime and Policing Act 2014, given to you by {{ issuer.agency }} on {{ notice.issued_on | date }}.

We are satisfied that your conduct is having a detrimental effect, of a persistent or continuing nature, on the quality of life of those in the locality, and that the conduct is unreasonable.

The conduct: {{ notice.conduct }}
{% if notice.prohibitions %}
You must stop: {{ notice.prohibitions }}
{% endif %}{% if notice.requirements %}
You must: {{ notice.requirements }}
{% endif %}
You have until {{ notice.comply_by | date }} to do this.

If your conduct is still having this effect after that date, a Community Protection Notice will be issued to you. A Community Protection Notice can require you to stop doing things, to do things or to take reasonable steps, and failing to comply with one is a criminal offence.

There is no right of appeal against a warning. If you think this warning is wrong, or you need help to do what it asks, contact us as soon as possible, quoting {{ notice.reference }}.

"""
        + _SIGNATURE,
    ),
    "cpn": (
        "Community Protection Notice",
        """\
To {{ recipient.name }}

This is a Community Protection Notice under section 43 of the Anti-social Behaviour, Crime and Policing Act 2014, issued to you by {{ issuer.agency }} on {{ notice.issued_on | date }}.

You were given a written warning (a Community Protection Warning){% if related.issued_on %} on {{ related.issued_on | date }}{% endif %} that this notice would be issued unless your conduct stopped having a detrimental effect on the quality of life of those in the locality. We are satisfied that you have had enough time to deal with the matter, and that your conduct continues to have that effect, is persistent or continuing, and is unreasonable.

The conduct: {{ notice.conduct }}

## What you must do
{% if notice.prohibitions %}
You must stop: {{ notice.prohibitions }}
{% endif %}{% if notice.requirements %}
You must: {{ notice.requirements }}
{% endif %}{% if notice.comply_by %}
You must do this by {{ notice.comply_by | date }}.
{% endif %}
## Your right to appeal

You may appeal against this notice to a magistrates' court within {{ law.appeal_days }} days beginning with the day it was issued, that is by {{ notice.appeal_closes | date }} (section 46). You may appeal on the grounds that the conduct did not take place, has not had a detrimental effect on the quality of life of those in the locality, has not been persistent or continuing, is not unreasonable, or cannot reasonably be prevented; that any of the requirements, or any period to comply, is unreasonable; that there is a material defect or error in, or in connection with, the notice; or that it was issued to the wrong person.

While an appeal is in progress, a requirement to stop doing something stays in force unless the court orders otherwise; any other requirement is suspended.

## If you do not comply

Failing to comply with this notice, without a reasonable excuse or having taken all reasonable steps, is a criminal offence (section 48). An individual convicted of it may be fined up to level 4 on the standard scale; a body may be fined without limit. Instead of prosecuting you, an authorised officer may offer you a fixed penalty of up to {{ law.fixed_penalty_cap | money }} (section 52).

If you do not comply, we may also carry out the work needed ourselves and recover the cost from you (sections 47 and 49), the court may order any item used in the offence to be forfeited (section 50), and a justice of the peace may issue a warrant for items to be seized (section 51).

"""
        + _SIGNATURE,
    ),
    "fpn": (
        "Fixed Penalty Notice",
        """\
To {{ recipient.name }}

This is a Fixed Penalty Notice under section {{ law.fixed_penalty_section }} of the Anti-social Behaviour, Crime and Policing Act 2014, given to you by {{ issuer.officer }} of {{ issuer.agency }} on {{ notice.issued_on | date }}. It offers you the chance to discharge any liability to be convicted of the offence below by paying a fixed penalty.

The offence: failing to comply with the {{ related.title }}{% if related.issued_on %} issued on {{ related.issued_on | date }}{% endif %}{% if related.location %} for {{ related.location }}{% endif %}.

Particulars of the offence: {{ notice.particulars }}

The fixed penalty is {{ notice.amount | money }}.{% if notice.discount_amount %} If you pay within {{ notice.discount_days }} days, by {{ notice.discount_by | date }}, you may pay {{ notice.discount_amount | money }} instead.{% endif %}

No proceedings will be taken for the offence before the end of the period of {{ law.payment_days }} days following the date of this notice, which ends on {{ notice.payment_by | date }}. If you pay the fixed penalty before the end of that period, you cannot be convicted of the offence.

How to pay: {{ partnership.fixed_penalty_payment }} Quote {{ notice.reference }} when you pay.

If you do not pay, you may be prosecuted for the offence.

"""
        + _SIGNATURE,
    ),
    "closure_notice": (
        "Closure Notice",
        """\
To the occupiers of the premises, and everyone with an interest in them

This is a Closure Notice under section 76 of the Anti-social Behaviour, Crime and Policing Act 2014, issued by {{ issuer.agency }}.

The premises: {{ notice.location }}

We are satisfied that the use of the premises has resulted, or is likely soon to result, in nuisance to members of the public, or that there has been, or is likely soon to be, disorder near the premises associated with their use, and that this notice is necessary to prevent the nuisance or disorder from continuing, recurring or occurring.

The effect of this notice: from {{ notice.served_at | datetime }} until {{ notice.ends_at | datetime }}, nobody may enter or remain on the premises except people who habitually live there and the owner of the premises.{% if notice.prohibitions %} {{ notice.prohibitions }}{% endif %}

Failing to comply with this notice without a reasonable excuse is a criminal offence (section 86). A person convicted of it may be sent to prison for up to 3 months, fined, or both.

An application will be made to the magistrates' court for a closure order (section 80). The application will be heard on {{ notice.hearing_at | datetime }} at {{ notice.court }}.

A closure order may prohibit access to the premises by anyone, including the people who live there and the owner, for up to 3 months, and it may be extended to 6 months in all. Entering or remaining on premises in breach of a closure order is a criminal offence.

Where to get advice about housing and legal matters: {{ partnership.housing_and_legal_advice }}

"""
        + _SIGNATURE,
    ),
}
