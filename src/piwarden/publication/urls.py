from django.urls import path

from piwarden.publication import views

app_name = "publication"

urlpatterns = [
    path("", views.stories, name="stories"),
    path("mine/", views.mine, name="mine"),
    path("mine/<uuid:item_id>/", views.mine_item, name="mine_item"),
    path("mine/<uuid:item_id>/image", views.mine_image, name="mine_image"),
    path("<uuid:item_id>/", views.story, name="story"),
    path("<uuid:item_id>/image", views.story_image, name="story_image"),
]
