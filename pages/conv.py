"""Inside a convolutional encoder: the first layer's filters, and the feature maps they make of one
chosen test image, with the convolution's formula beside the numbers it produces."""

import streamlit as st

from ui import conv_view as view
from ui.core import presenter, state
from ui.core.concepts import explain
from ui.core.router import require_router

require_router()

st.title("Inside a convolutional encoder")
try:
    model, which = view.shown_model(state.active_model())
except ValueError as error:  # an empty zoo says how to rebuild it
    st.error(str(error))
    st.stop()
st.markdown(which)

count = view.image_count(model)
# The key names the URL parameter (?cv_image=12): a shared link opens on the same image.
index = st.number_input(f"Test image (0 to {count - 1})", 0, count - 1, 0, step=1, key="cv_image",
                        bind="query-params", help="Which of the test images goes through the first layer.")
image, label = view.test_image(model, int(index))
shown = view.layer(model, image)

explain("conv", live=view.live_numbers(shown),
        note="Bright in a map = the image looks like that filter there. Pick another image to see which maps "
             "switch on for which strokes.")

image_col, filter_col, maps_col = st.columns([1, 2, 2])
image_col.image(view.image_picture(image), output_format="PNG",  # JPEG would blur the enlarged pixels
                caption=f"Test image {index}" + (f": {label}" if label else ""))
filter_col.image(view.filter_picture(shown["filters"]), output_format="PNG",
                 caption=f"The first layer's {shown['shape']['filters']} filters w_c, #0 at the top left, row by "
                         "row: orange weights add the pixel under them, blue ones subtract it.")
maps_col.image(view.maps_picture(shown["maps"]), output_format="PNG",
               caption="This image's feature maps h_c after the ReLU, in the same order as the filters, on one "
                       "scale (a dark map: its pattern is nowhere in this image).")
st.plotly_chart(view.means_figure(shown), width="stretch", config={"displayModeBar": False})
with presenter.secondary("What the next layers do"):
    st.caption("The next convolutions take all these maps as their input channels and halve the size again, "
               "so their filters see larger parts of the image; a linear layer then turns the last maps into "
               "the code.")
