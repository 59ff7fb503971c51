"""Recommendation: an autoencoder predicts which items a user will like from the few they rated."""

import streamlit as st

from aecore.limits import MAX_UPLOAD_MB
from ui import recommend_view as view
from ui.core.concepts import explain
from ui.core.router import require_router

require_router()

st.title("Recommend")
st.markdown("Outside images: a table of ratings, mostly empty. AutoRec reads each user's row of ratings, squeezes "
            "it into a short code (the user's taste) and rebuilds the whole row; the rebuilt empty cells are its "
            "predictions. Its linear twin is truncated SVD, the PCA of the ratings table; popularity and the "
            "means are the baselines every recommender has to beat.")
source = st.radio("Ratings", list(view.SOURCES), horizontal=True, key="rc_source", bind="query-params",
                  captions=list(view.SOURCES.values()))
if source == view.MOVIELENS:
    ratings = view.movielens_table()
elif source == view.UPLOAD:
    ratings = view.read_upload(st.file_uploader(
        "A CSV of ratings", type=["csv", "txt"], key="rc_file",
        help=f"Up to {MAX_UPLOAD_MB} MB: a header row naming user, item and rating, then one rating (1 to 5 stars) "
             "per row; other columns are ignored."))
else:
    ratings = view.embedded()
if ratings is None:
    st.stop()
st.caption(ratings.about)
result = view.study(ratings)
if result is None:
    st.stop()
model = view.model_of(ratings, result)

explain("masked_loss", view.concept_numbers(result),
        note=f"O(u): the items user u rated in training; k = {model.config.latent_dim}, λ = {model.config.l2:g}. "
             "Scored on a fifth of each user's ratings, held out.")
st.subheader("Every method on the same held-out ratings")
st.dataframe(view.table_frame(result), hide_index=True, width="stretch",
             column_config={name: st.column_config.NumberColumn(format="%.3f")
                            for name in ("RMSE", "recall@10", "NDCG@10", "training (s)")})
st.markdown(" ".join(view.verdicts(result)))
st.caption("RMSE: stars off on held-out ratings (popularity predicts no stars). recall@10 and NDCG@10: how many of "
           "a user's held-out liked items (4 stars or more) come up in their top 10 of the items they had not "
           "rated, and how high (the global and user means give every item the same score, so they rank nothing).")

st.subheader("One user")
user_col, colour_col = st.columns(2)
user = int(user_col.number_input("User", min_value=1, max_value=ratings.users, value=1, step=1, key="rc_user",
                                 bind="query-params")) - 1
attribute = colour_col.selectbox("Colour the users by", list(ratings.user_attributes) or ["none"], key="rc_colour")
row = view.training_row(ratings, result, user)
rated_col, top_col = st.columns(2)
rated_col.markdown(f"**{ratings.user_names[user]} rated** ({int((row > 0).sum())} items in training)")
rated_col.dataframe(view.rated_frame(ratings, row), hide_index=True, width="stretch", height=320)
top_col.markdown("**The model's top 10**, of the items they had not rated in training")
top_col.dataframe(view.top_frame(ratings, model, row, view.held_out(ratings, result, user)), hide_index=True,
                  width="stretch", column_config={"predicted stars": st.column_config.NumberColumn(format="%.2f")})


@st.fragment
def for_you() -> None:
    st.subheader("Rate a few yourself")
    offered = view.choices(ratings, result)
    columns = st.columns(3)
    stars = {}
    for col, (value, label) in zip(columns, ((5.0, "Loved (5 stars)"), (3.0, "So-so (3 stars)"),
                                             (1.0, "Disliked (1 star)"))):
        for name in col.multiselect(label, offered, key=f"rc_you_{int(value)}"):
            stars.setdefault(name, value)
    you = view.your_row(ratings, stars) if stars else None
    if you is not None:
        st.markdown("**Recommended for you**, from your ratings alone: the model encodes them and decodes every item")
        st.dataframe(view.top_frame(ratings, model, you), hide_index=True, width="stretch",
                     column_config={"predicted stars": st.column_config.NumberColumn(format="%.2f")})
    st.markdown("**Every user's taste code**, on the first two principal directions of the codes"
                + (", with yours" if you is not None else ""))
    st.plotly_chart(view.map_figure(ratings, result, attribute, user, model, you), width="stretch")


for_you()
