"""Dashboard sections: each a function of the plain filter values (`data.Where`) returning Panel objects."""
