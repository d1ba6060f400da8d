"""Editing chain maps and reviewing change proposals.

The same forms serve everyone: the chain's leading region and the joint office write directly
(with a reason, checked against the version they read); officials of the other regions get a change
proposal instead, reviewed by the leader. Invisible objects answer 404, forbidden actions 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.exceptions import ConflictError
from chainmap.core.http import refused
from chainmap.maps.forms import (
    NODE_ATTRS,
    DeleteForm,
    EdgeForm,
    NodeForm,
    RevertForm,
    ReviewForm,
    apply_service_errors,
)
from chainmap.maps.models.proposals import ProposalStatus
from chainmap.maps.selectors.todo import proposals_to_review
from chainmap.maps.services import mapedit, proposals
from chainmap.models import Chain, ChangeProposal, Edge, Node, Segment

# --- modes --------------------------------------------------------------------------------------

DIRECT, PROPOSE = "direct", "propose"


def edit_mode(*, user: Actor, chain_id: int, leader_region_id: int | None = None) -> str | None:
    """How this user changes this chain: directly, by proposal, or not at all."""
    if permissions.can_edit_chain_map(user=user, chain_id=chain_id, leader_region_id=leader_region_id):
        return DIRECT
    if permissions.can_propose_change(user=user, chain_id=chain_id):
        return PROPOSE
    return None


def _require_mode(request: HttpRequest, chain: Chain) -> str:
    mode = edit_mode(user=request.user, chain_id=chain.pk)
    if mode is None:
        raise PermissionDenied
    return mode


def _proposal_created(request: HttpRequest, proposal: ChangeProposal) -> HttpResponse:
    messages.success(
        request,
        _("Your change was sent as proposal #%(pk)d to %(region)s, which leads this chain, for review.")
        % {"pk": proposal.pk, "region": proposal.routed_to.name},
    )
    return redirect("chainmap:proposal_detail", pk=proposal.pk)


def _conflict(request: HttpRequest, *, error: ConflictError, form: Any, what: str, back: str) -> HttpResponse:
    """The second of two concurrent saves: show the other change and let the user decide again."""
    data = form.data.copy()
    data["version"] = str(error.current.version)
    form = type(form)(data, **getattr(form, "_init_kwargs", {}))
    form.is_valid()
    return render(
        request,
        "chainmap/maps/edit/conflict.html",
        {"error": error, "form": form, "what": what, "back": back, "current": error.current},
        status=409,
    )


# --- nodes --------------------------------------------------------------------------------------


def _node_conflict(
    request: HttpRequest, *, error: ConflictError, form: NodeForm, direct: bool, what: str, back: str
) -> HttpResponse:
    """The second of two concurrent edits of a node: a three-way merge, not a stale copy of the form.

    The form shown is based on the current version: the fields this person changed since the version
    they opened carry their value, the fields only the other person changed keep the other person's
    value (so a resubmit cannot silently undo them), and a field both changed differently must be
    resolved explicitly before the form saves.
    """
    current: Node = error.current
    mine = form.values()
    attrs = list(mine)
    base = mapedit.values_at_version(current, version=error.expected_version, fields=attrs)
    for name in form.kept_theirs():  # resolved as "theirs" last time: not this person's change
        attr = NODE_ATTRS[name]
        mine[attr] = base[attr] if base is not None else getattr(current, attr)
    theirs = {attr: getattr(current, attr) for attr in attrs}
    merge = mapedit.merge_three_way(base=base, mine=mine, theirs=theirs)
    field_of = {attr: name for name, attr in NODE_ATTRS.items()}
    initial: dict[str, Any] = {field_of[attr]: value for attr, value in merge.values.items()}
    initial.update({"reason": form.cleaned_data.get("reason", ""), "version": current.version})
    merged_form = NodeForm(
        initial=initial,
        chain=current.chain,
        node=current,
        direct=direct,
        conflicts=tuple(field_of[attr] for attr in merge.conflicts),
    )
    parent_ids = {values.get("parent_id") for values in (mine, theirs, base or {})} - {None}
    parent_codes = dict(Node.objects.filter(pk__in=parent_ids).values_list("pk", "code")) if parent_ids else {}

    def shown(attr: str, value: Any) -> str:
        if attr == "parent_id":
            return parent_codes.get(value, "") if value else ""
        if attr == "segment":
            return str(Segment(value).label) if value in Segment.values else str(value)
        return str(value or "")

    outcome = {
        **{attr: "mine" for attr in merge.mine},
        **{attr: "theirs" for attr in merge.theirs},
        **{attr: "conflict" for attr in merge.conflicts},
    }
    rows = [
        {
            "field": form.fields[field_of[attr]].label,
            "base": shown(attr, base[attr]) if base is not None else None,
            "mine": shown(attr, mine[attr]),
            "theirs": shown(attr, theirs[attr]),
            "outcome": outcome[attr],
        }
        for attr in attrs
        if attr in outcome
    ]
    return render(
        request,
        "chainmap/maps/edit/conflict.html",
        {
            "error": error,
            "form": merged_form,
            "what": what,
            "back": back,
            "current": current,
            "merge_rows": rows,
            "merge": merge,
        },
        status=409,
    )


def _node_items(node: Node, changes: dict[str, Any], parent_code: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if "name" in changes:
        items.append({"operation": "rename_node", "node": node.code, "name": changes["name"]})
    if "segment" in changes or "parent_id" in changes:
        items.append(
            {
                "operation": "move_node",
                "node": node.code,
                "segment": changes.get("segment", node.segment),
                "parent": parent_code,
            }
        )
    return items


@require_http_methods(["GET", "HEAD", "POST"])
def node_edit(request: HttpRequest, code: str) -> HttpResponse:
    node = get_object_or_404(Node.objects.visible_to(request.user).select_related("chain", "parent"), code=code.upper())
    mode = _require_mode(request, node.chain)
    init = {"chain": node.chain, "node": node, "direct": mode == DIRECT}
    if request.method != "POST":
        form = NodeForm(
            initial={
                "name": node.name,
                "segment": node.segment,
                "parent": node.parent_id,
                "description": node.description,
                "key_technologies": node.key_technologies,
                "version": node.version,
            },
            **init,
        )
        return render(
            request,
            "chainmap/maps/edit/node_form.html",
            {"form": form, "node": node, "chain": node.chain, "mode": mode},
        )
    form = NodeForm(request.POST, **init)
    if form.is_valid():
        changes = form.changes()
        try:
            if not changes:
                form.add_error(None, _("Nothing was changed."))
            elif mode == DIRECT:
                mapedit.node_update(
                    node_id=node.pk,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data.get("version"),
                    changes=form.to_input(),
                )
                messages.success(request, _("Node %(code)s saved.") % {"code": node.code})
                return redirect("chainmap:node_detail", code=node.code)
            else:
                if form.cleaned_data.get("version") not in (None, node.version):
                    raise ConflictError(
                        current=node,
                        expected_version=form.cleaned_data["version"],
                        changes=mapedit.change_summary(node, since_version=form.cleaned_data["version"]),
                    )
                parent = form.cleaned_data.get("parent")
                proposal = proposals.proposal_create(
                    chain_id=node.chain_id,
                    author=request.user,
                    reason=form.cleaned_data["reason"],
                    items=_node_items(node, changes, parent.code if parent else None),
                )
                return _proposal_created(request, proposal)
        except ConflictError as error:
            return _node_conflict(
                request,
                error=error,
                form=form,
                direct=mode == DIRECT,
                what=f"{node.code} {node.name}",
                back=reverse("chainmap:node_detail", args=[node.code]),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(
        request,
        "chainmap/maps/edit/node_form.html",
        {"form": form, "node": node, "chain": node.chain, "mode": mode},
        status=400,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def node_create(request: HttpRequest, slug: str) -> HttpResponse:
    chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug)
    mode = _require_mode(request, chain)
    form = NodeForm(request.POST or None, chain=chain, direct=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if mode == DIRECT:
                node = mapedit.node_create(
                    chain_id=chain.pk, user=request.user, reason=data["reason"], data=form.to_input()
                )
                messages.success(request, _("Node %(code)s added.") % {"code": node.code})
                return redirect("chainmap:node_detail", code=node.code)
            proposal = proposals.proposal_create(
                chain_id=chain.pk,
                author=request.user,
                reason=data["reason"],
                items=[
                    {
                        "operation": "add_node",
                        "code": data["code"],
                        "name": data["name"],
                        "segment": data["segment"],
                        "parent": data["parent"].code if data.get("parent") else None,
                        "description": data.get("description", ""),
                        "key_technologies": data.get("key_technologies", ""),
                    }
                ],
            )
            return _proposal_created(request, proposal)
        except ValidationError as error:
            apply_service_errors(form, error)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "chainmap/maps/edit/node_form.html", {"form": form, "chain": chain, "mode": mode}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
def node_delete(request: HttpRequest, code: str) -> HttpResponse:
    node = get_object_or_404(Node.objects.visible_to(request.user).select_related("chain"), code=code.upper())
    mode = _require_mode(request, node.chain)
    blockers = mapedit.node_delete_blockers(node)
    form = DeleteForm(request.POST or None, initial={"version": node.version})
    if request.method == "POST" and form.is_valid() and not blockers:
        try:
            if mode == DIRECT:
                mapedit.node_delete(
                    node_id=node.pk,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data.get("version"),
                )
                messages.success(request, _("Node %(code)s deleted.") % {"code": node.code})
                return redirect("chainmap:chain_detail", slug=node.chain.slug)
            proposal = proposals.proposal_create(
                chain_id=node.chain_id,
                author=request.user,
                reason=form.cleaned_data["reason"],
                items=[{"operation": "delete_node", "node": node.code}],
            )
            return _proposal_created(request, proposal)
        except ConflictError as error:
            return _conflict(
                request,
                error=error,
                form=form,
                what=f"{node.code} {node.name}",
                back=reverse("chainmap:node_detail", args=[node.code]),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "chainmap/maps/edit/node_delete.html",
        {"form": form, "node": node, "chain": node.chain, "mode": mode, "blockers": blockers},
        status=status,
    )


# --- edges --------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def edge_create(request: HttpRequest, slug: str) -> HttpResponse:
    chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug)
    mode = _require_mode(request, chain)
    form = EdgeForm(request.POST or None, chain=chain)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if mode == DIRECT:
                mapedit.edge_create(chain_id=chain.pk, user=request.user, reason=data["reason"], data=form.to_input())
                messages.success(request, _("Supply relation added."))
                return redirect("chainmap:chain_detail", slug=chain.slug)
            proposal = proposals.proposal_create(
                chain_id=chain.pk,
                author=request.user,
                reason=data["reason"],
                items=[
                    {
                        "operation": "add_edge",
                        "source": data["source"].code,
                        "target": data["target"].code,
                        "kind": data["kind"],
                    }
                ],
            )
            return _proposal_created(request, proposal)
        except ValidationError as error:
            apply_service_errors(form, error)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "chainmap/maps/edit/edge_form.html", {"form": form, "chain": chain, "mode": mode}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
def edge_delete(request: HttpRequest, pk: int) -> HttpResponse:
    edge = get_object_or_404(Edge.objects.visible_to(request.user).select_related("chain", "source", "target"), pk=pk)
    mode = _require_mode(request, edge.chain)
    form = DeleteForm(request.POST or None, initial={"version": edge.version})
    if request.method == "POST" and form.is_valid():
        try:
            if mode == DIRECT:
                mapedit.edge_delete(
                    edge_id=edge.pk,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data.get("version"),
                )
                messages.success(request, _("Supply relation removed."))
                return redirect("chainmap:chain_detail", slug=edge.chain.slug)
            proposal = proposals.proposal_create(
                chain_id=edge.chain_id,
                author=request.user,
                reason=form.cleaned_data["reason"],
                items=[{"operation": "remove_edge", "source": edge.source.code, "target": edge.target.code}],
            )
            return _proposal_created(request, proposal)
        except ConflictError as error:
            what = f"{edge.source.code} → {edge.target.code}"
            return _conflict(
                request,
                error=error,
                form=form,
                what=what,
                back=reverse("chainmap:chain_detail", args=[edge.chain.slug]),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "chainmap/maps/edit/edge_delete.html",
        {"form": form, "edge": edge, "chain": edge.chain, "mode": mode},
        status=status,
    )


# --- proposals ----------------------------------------------------------------------------------

QUEUE_LIMIT = 100


def _proposals(request: HttpRequest) -> QuerySet[ChangeProposal]:
    return (
        ChangeProposal.objects.visible_to(request.user)
        .select_related("chain", "author", "author_region", "routed_to", "reviewer")
        .annotate(item_count=Count("items"))
    )


@require_safe
def proposal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated or not roles.is_official(user):  # anonymous users hold no role either
        raise Http404
    base = _proposals(request)
    to_review = proposals_to_review(user=request.user).values("pk")
    status = request.GET.get("status", "")
    decided = base.exclude(status=ProposalStatus.OPEN)
    if status in ProposalStatus.values and status != ProposalStatus.OPEN:
        decided = decided.filter(status=status)
    context = {
        "to_review": list(base.filter(pk__in=to_review)[:QUEUE_LIMIT]),
        "mine": list(base.filter(author=user, status=ProposalStatus.OPEN)[:QUEUE_LIMIT]),
        "other_open": list(
            base.filter(status=ProposalStatus.OPEN).exclude(pk__in=to_review).exclude(author=user)[:QUEUE_LIMIT]
        ),
        "decided": list(decided[:QUEUE_LIMIT]),
        "status": status,
        "statuses": [choice for choice in ProposalStatus.choices if choice[0] != ProposalStatus.OPEN],
    }
    return render(request, "chainmap/maps/edit/proposal_list.html", context)


def _proposal_or_404(request: HttpRequest, pk: int) -> ChangeProposal:
    return get_object_or_404(_proposals(request), pk=pk)


@require_safe
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal_or_404(request, pk)
    return _render_proposal(request, proposal)


def _render_proposal(
    request: HttpRequest,
    proposal: ChangeProposal,
    *,
    review_form: Any = None,
    revert_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    items = [(item, proposals.item_label(item)) for item in proposal.items.all()]
    context = {
        "proposal": proposal,
        "items": items,
        "can_review": permissions.can_review_proposal(user=user, proposal=proposal),
        "can_withdraw": permissions.can_withdraw_proposal(user=user, proposal=proposal),
        "can_revert": permissions.can_revert_proposal(user=user, proposal=proposal)
        and not proposal.reverted_by.filter(status__in=[ProposalStatus.OPEN, ProposalStatus.APPROVED]).exists(),
        "review_form": review_form or ReviewForm(),
        "revert_form": revert_form or RevertForm(),
        "reverted_by": list(proposal.reverted_by.all()),
    }
    return render(request, "chainmap/maps/edit/proposal_detail.html", context, status=status)


def _review(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    proposal = _proposal_or_404(request, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _render_proposal(request, proposal, review_form=form, status=400)
    try:
        if action == "approve":
            result = proposals.proposal_approve(
                proposal_id=proposal.pk, reviewer=request.user, comment=form.cleaned_data["comment"]
            )
            if result.status == ProposalStatus.STALE:
                messages.warning(
                    request, _("The chain changed since this proposal was made: nothing was applied. See below.")
                )
            else:
                messages.success(request, _("Proposal approved and applied."))
        else:
            proposals.proposal_reject(
                proposal_id=proposal.pk, reviewer=request.user, comment=form.cleaned_data["comment"]
            )
            messages.success(request, _("Proposal rejected."))
    except ValidationError as error:
        apply_service_errors(form, error)
        return _render_proposal(request, proposal, review_form=form, status=400)
    return redirect("chainmap:proposal_detail", pk=proposal.pk)


@require_POST
def proposal_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, "approve")


@require_POST
def proposal_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, "reject")


@require_POST
def proposal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal_or_404(request, pk)
    try:
        proposals.proposal_withdraw(proposal_id=proposal.pk, user=request.user)
    except ValidationError as error:  # no longer open: a 400, as the API answers
        return refused(request, error, back=reverse("chainmap:proposal_detail", args=[proposal.pk]))
    messages.success(request, _("Proposal withdrawn."))
    return redirect("chainmap:proposal_detail", pk=proposal.pk)


@require_POST
def proposal_revert(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal_or_404(request, pk)
    form = RevertForm(request.POST)
    if form.is_valid():
        try:
            revert = proposals.proposal_revert(
                proposal_id=proposal.pk, author=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _proposal_created(request, revert)
    return _render_proposal(request, proposal, revert_form=form, status=400)
